"""Everything a request or a scheduler pass needs, built once per process and passed down.

There is no module-level App or engine: the CLI builds one `Runtime`, and the HTTP app,
the listeners and the scheduler receive it.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.clock import Clock
from bot.settings import Settings
from bot.slack_api import SlackApi
from sla.policy import Policy
from storage.engine import transaction


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class Runtime:
    settings: Settings
    policy: Policy
    engine: Engine
    clock: Clock
    slack: SlackApi
    worker: str = field(default_factory=worker_name)
    after_commit: Callable[[], None] = field(default=lambda: None)
    """Called after a transaction that enqueued notifications: wakes the courier."""

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A unit of work; `write=False` for one that only reads (see `storage.engine`)."""
        with transaction(self.engine, write=write) as session:
            yield session
