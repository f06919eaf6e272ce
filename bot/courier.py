"""Sends what the outbox owes Slack, after the business transaction committed.

Claiming is a database operation (see `storage.repositories.outbox.claim_due`), so any number
of replicas can run the courier and each message still goes out once. A failed send stays
in the outbox with backoff and is retried until Slack takes it. Alerts of one kind to one
recipient that are due together go out as one message, which keeps channels readable and
inside the one-post-per-second-per-channel limit.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.blocks.lead_card import dm_card
from bot.blocks.message import Message, section
from bot.flows.notices import SOLO, TITLES, NoticeKind
from bot.pacing import ChannelPacer, UpdateBudget
from bot.runtime import Runtime
from bot.slack_api import SlackCallFailed, SlackUnavailable
from storage.repositories import leads, outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Owed:
    id: int
    kind: NoticeKind
    recipient: str
    text: str | None
    blocks: list[dict[str, Any]] | None
    lead_id: int | None
    assignment_id: int | None


class Courier:
    def __init__(
        self,
        runtime: Runtime,
        *,
        pacer: ChannelPacer | None = None,
        budget: UpdateBudget | None = None,
    ) -> None:
        self._runtime = runtime
        self._pacer = pacer or ChannelPacer()
        self._budget = budget or UpdateBudget()
        self._lock = threading.Lock()

    def deliver_due(self, *, batch: int = 100) -> int:
        """Send everything due now; returns how many notifications Slack accepted."""
        sent = 0
        with self._lock:
            while True:
                owed = self._claim(batch)
                for group in _grouped(owed):
                    sent += self._send(group)
                if len(owed) < batch:
                    return sent

    def _claim(self, limit: int) -> list[_Owed]:
        rt = self._runtime
        with rt.transaction() as session:
            rows = outbox.claim_due(session=session, now=rt.clock(), worker=rt.worker, limit=limit)
            return [
                _Owed(
                    id=r.id or 0,
                    kind=NoticeKind(r.kind),
                    recipient=r.recipient,
                    text=r.text,
                    blocks=r.blocks,
                    lead_id=r.lead_id,
                    assignment_id=r.assignment_id,
                )
                for r in rows
            ]

    def _send(self, group: list[_Owed]) -> int:
        try:
            if group[0].kind is NoticeKind.CARD:
                return self._send_card(group[0])
            self._send_message(group)
        except (SlackUnavailable, SlackCallFailed) as error:
            log.warning(
                "slack refused %s notification(s) of kind %s: %s; will retry",
                len(group),
                group[0].kind,
                error,
            )
            self._finish(group, error=str(error))
            return 0
        self._finish(group)
        return len(group)

    def _send_message(self, group: list[_Owed]) -> None:
        first = group[0]
        if first.kind in SOLO:
            message = Message(text=first.text or "", blocks=first.blocks or [])
        else:
            message = _alert_message(first.kind, [g.text or "" for g in group])
        slack = self._runtime.slack
        if first.recipient.startswith(("U", "W")):
            slack.post_dm(first.recipient, text=message.text, blocks=message.blocks)
        else:
            self._pacer.wait_turn(first.recipient)
            slack.post_message(first.recipient, text=message.text, blocks=message.blocks)

    def _send_card(self, owed: _Owed) -> int:
        """Post the lead's card to its owner once; afterwards edit that same message."""
        rt = self._runtime
        with rt.transaction() as session:
            record = leads.load_record(session=session, lead_id=owed.lead_id or 0)
            assignment = next(
                (a for a in (record.assignments if record else ()) if a.id == owed.assignment_id),
                None,
            )
        if record is None or assignment is None:
            self._finish([owed], error="lead or assignment vanished", retry=False)
            return 0
        message = dm_card(record, assignment, policy=rt.policy, now=rt.clock())
        if assignment.dm_channel and assignment.dm_ts:
            if not self._budget.try_take():
                with rt.transaction() as session:
                    row = session.get(outbox.Notification, owed.id)
                    if row is not None:
                        outbox.defer(
                            session=session,
                            notification=row,
                            until=rt.clock() + timedelta(seconds=60),
                        )
                return 0
            rt.slack.update_message(
                assignment.dm_channel, assignment.dm_ts, text=message.text, blocks=message.blocks
            )
            self._finish([owed])
            return 1
        posted = rt.slack.post_dm(assignment.assignee, text=message.text, blocks=message.blocks)
        with rt.transaction() as session:
            row = leads.get_assignment(session=session, assignment_id=assignment.id)
            if row is not None:
                row.dm_channel, row.dm_ts = posted.channel, posted.ts
                session.add(row)
            self._mark(session, [owed], error=None, retry=True)
        return 1

    def _finish(self, group: list[_Owed], *, error: str | None = None, retry: bool = True) -> None:
        with self._runtime.transaction() as session:
            self._mark(session, group, error=error, retry=retry)

    def _mark(self, session: Any, group: list[_Owed], *, error: str | None, retry: bool) -> None:
        now = self._runtime.clock()
        for owed in group:
            row = session.get(outbox.Notification, owed.id)
            if row is None:
                continue
            if error is None:
                outbox.mark_sent(session=session, notification=row, now=now)
            else:
                outbox.mark_failed(
                    session=session, notification=row, now=now, error=error, retry=retry
                )


def _grouped(owed: list[_Owed]) -> list[list[_Owed]]:
    """Cards and digests one by one; alerts grouped per (kind, recipient)."""
    groups: dict[tuple[NoticeKind, str], list[_Owed]] = {}
    result: list[list[_Owed]] = []
    for item in owed:
        if item.kind in SOLO:
            result.append([item])
            continue
        key = (item.kind, item.recipient)
        if key not in groups:
            groups[key] = []
            result.append(groups[key])
        groups[key].append(item)
    return result


def _alert_message(kind: NoticeKind, lines: list[str]) -> Message:
    title = TITLES.get(kind, "leadclock")
    body = "\n".join(f"• {line}" for line in lines) if len(lines) > 1 else lines[0]
    return Message(text=f"{title}: {body}", blocks=[section(f"*{title}*\n{body}")])


class CourierThread:
    """Runs the courier in the background in `serve`, woken early whenever work is committed."""

    def __init__(self, courier: Courier, *, idle_seconds: float = 15.0) -> None:
        self._courier = courier
        self._idle = idle_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="leadclock-courier", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def kick(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._idle)
            self._wake.clear()
            try:
                self._courier.deliver_due()
            except Exception:
                log.exception("courier pass failed; the outbox keeps the messages for next time")


Kick = Callable[[], None]
