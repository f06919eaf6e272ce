"""Logging an attempt and wording the reply: shared by `/attempt` and the DM card's buttons."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from bot.blocks.replies import attempt_logged
from bot.flows.access import lead_for_action
from bot.flows.attempts import log_attempt
from bot.listeners.once import Reply, ephemeral
from bot.runtime import Runtime
from sla.lead import AttemptChannel, AttemptOutcome


def log_attempt_work(
    runtime: Runtime,
    reference: str,
    *,
    actor: str,
    channel: AttemptChannel,
    outcome: AttemptOutcome | None,
    note: str | None,
) -> Callable[[Session], Reply]:
    """The unit of work for `run_once`: record the attempt, answer with where things stand."""

    def work(session: Session) -> Reply:
        # the lead's row lock first, the clock after: a scheduler pass that breached this gap
        # while we waited has committed by now, so the attempt is stamped after that breach
        lead_for_action(session, reference, actor=actor, policy=runtime.policy)
        now = runtime.clock()
        logged = log_attempt(
            session,
            reference,
            actor=actor,
            channel=channel,
            outcome=outcome,
            note=note,
            policy=runtime.policy,
            now=now,
        )
        return ephemeral(
            attempt_logged(
                logged.record,
                number=logged.number,
                first=logged.was_first_contact,
                state=logged.state,
                policy=runtime.policy,
                now=now,
            )
        )

    return work
