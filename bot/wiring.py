"""Assembling a process: settings → policy, engine, Slack wrapper, runtime, courier."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.clock import Clock, system_clock
from bot.courier import Courier
from bot.runtime import Runtime
from bot.settings import Settings
from bot.slack_api import SlackApi
from sla.policy import Policy
from sla.policy_file import DEFAULT_POLICY, load_policy
from storage.engine import make_engine
from storage.migrate import upgrade

log = logging.getLogger(__name__)


def load_configured_policy(settings: Settings) -> Policy:
    """The policy file when there is one; the contract's example policy otherwise."""
    if settings.config_path.is_file():
        return load_policy(settings.config_path)
    log.warning("no policy file at %s; using the built-in example policy", settings.config_path)
    return DEFAULT_POLICY


@dataclass
class Process:
    runtime: Runtime
    courier: Courier


def build_process(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    policy: Policy | None = None,
    migrate: bool = True,
) -> Process:
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    slack = SlackApi.connect(settings.require_bot_token(), settings.slack_api_url)
    runtime = Runtime(
        settings=settings,
        policy=policy or load_configured_policy(settings),
        engine=engine,
        clock=clock,
        slack=slack,
    )
    return Process(runtime=runtime, courier=Courier(runtime))
