"""Sends what the outbox owes Slack, after the business transaction committed.

Claiming is a database operation (see `storage.repositories.outbox.claim_due`), so any number
of replicas can run the courier and each message still goes out once. A batch is claimed at
once with a short lease (`QUEUED_LEASE`), and each notification's claim is renewed right
before it is sent, for as long as one send can take (`lease_for`, from the Slack wrapper's
worst case); one no longer held (taken over after its lease) is skipped. A failed send stays in the
outbox with backoff and is retried until Slack takes it. Alerts of one kind to one
recipient that are due together go out as one message, which keeps channels readable and
inside the one-post-per-second-per-channel limit; as several when that one would be too big
for Slack to take or show (`_grouped`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.blocks.lead_card import dm_card
from bot.blocks.limits import TEXT_SHOWN
from bot.blocks.message import Message, cut, sections
from bot.flows.notices import SOLO, TITLES, NoticeKind
from bot.flows.schedule import gaps_of
from bot.pacing import ChannelPacer, UpdateBudget
from bot.runtime import Runtime
from bot.slack_api import SlackApi, SlackCallFailed, SlackUnavailable
from storage.repositories import leads, outbox

log = logging.getLogger(__name__)

CALLS_PER_SEND = 3
"""The most Slack calls one send makes: a card edit refused as message_not_found, then
conversations.open and chat.postMessage for a fresh card."""


REFUSED_AS_MADE = frozenset(
    {"invalid_blocks", "invalid_blocks_format", "msg_too_long", "msg_blocks_too_long"}
)
"""Slack's answers about the message itself: sending it again cannot succeed, so it is parked
(kept, with the error) instead of retried every half hour for ever. Refusals about where it
goes (a channel the bot left, say) are retried: someone may fix that."""

QUEUED_LEASE = timedelta(minutes=5)
"""How long a claimed notification may wait in a courier's batch before another replica may take
it: what a courier that died mid-batch costs the notifications it had not reached yet."""


def lease_for(slack: SlackApi) -> timedelta:
    """How long a claim lasts once its send has begun: twice the longest one send can take,
    leaving room for pacing waits, the database and clocks that differ a little between
    replicas. With SlackApi's defaults a call takes at most 400 s (4 tries timing out at 10 s,
    3 waits of up to 120 s), so this lease is 40 minutes."""
    return 2 * CALLS_PER_SEND * slack.longest_call


@dataclass(frozen=True)
class _Owed:
    claim: outbox.Claim
    kind: NoticeKind
    recipient: str
    text: str | None
    blocks: list[dict[str, Any]] | None
    lead_id: int | None
    assignment_id: int | None
    deadline: datetime | None = None


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
        self._lease = lease_for(runtime.slack)
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
            rows = outbox.claim_due(
                session=session, now=rt.clock(), worker=rt.worker, limit=limit, lease=QUEUED_LEASE
            )
            owed = []
            for r in rows:
                if r.kind not in NoticeKind.__members__.values():
                    # written by another version of leadclock: park it rather than fail every pass
                    log.error("notification %s has unknown kind %r; parked", r.id, r.kind)
                    outbox.mark_failed(
                        session=session,
                        claim=outbox.claim_of(r),
                        now=rt.clock(),
                        error=f"unknown kind {r.kind!r}",
                        retry=False,
                    )
                    continue
                owed.append(
                    _Owed(
                        claim=outbox.claim_of(r),
                        kind=NoticeKind(r.kind),
                        recipient=r.recipient,
                        text=r.text,
                        blocks=r.blocks,
                        lead_id=r.lead_id,
                        assignment_id=r.assignment_id,
                        deadline=r.deadline,
                    )
                )
            return owed

    def _renewed(self, group: list[_Owed]) -> list[_Owed]:
        """The group's notifications this worker still holds, each lease restarted now.

        A notification that sat in this batch past its lease may have been taken over, and
        sent, by another replica: it is dropped here rather than sent a second time.
        """
        rt = self._runtime
        kept: list[_Owed] = []
        with rt.transaction() as session:
            now = rt.clock()
            for owed in group:
                claim = outbox.renew(session=session, claim=owed.claim, now=now, lease=self._lease)
                if claim is None:
                    log.info(
                        "notification %s is no longer ours (taken over); not sending it",
                        owed.claim.notification_id,
                    )
                else:
                    kept.append(replace(owed, claim=claim))
        return kept

    def _still_true(self, group: list[_Owed]) -> list[_Owed]:
        """Drop nudges that would arrive too late to help: their deadline has passed, or the
        attempt it asked for was made (its gap is no longer the lead's open one). A nudge held
        up by Slack's rate limits must not tell a rep "15m left" after the breach."""
        if not group or group[0].kind is not NoticeKind.NUDGE:
            return group
        rt = self._runtime
        kept: list[_Owed] = []
        with rt.transaction() as session:
            now = rt.clock()
            for owed in group:
                record = leads.load_record(session=session, lead_id=owed.lead_id or 0)
                running = (
                    {g.deadline for g in gaps_of(record, rt.policy) if g.is_open}
                    if record
                    else set()
                )
                if owed.deadline is None or (now < owed.deadline and owed.deadline in running):
                    kept.append(owed)
                else:
                    outbox.drop(
                        session=session,
                        claim=owed.claim,
                        now=now,
                        reason="its deadline passed or was met before it could go out",
                    )
        return kept

    def _send(self, group: list[_Owed]) -> int:
        """Send one group; whatever goes wrong, only this group backs off.

        Slack's refusals are expected and logged in a line. Anything else (a bug rendering one
        lead's card, say) is logged with its traceback and backs off the same way: left
        claimed, it would strand the rest of the batch in `sending` until the lease ran out,
        and re-raised, it would stop every later pass at the same notification.
        """
        group = self._still_true(self._renewed(group))
        if not group:
            return 0
        try:
            if group[0].kind is NoticeKind.CARD:
                return self._send_card(group[0])
            self._send_message(group)
        except (SlackUnavailable, SlackCallFailed) as error:
            futile = isinstance(error, SlackCallFailed) and error.error in REFUSED_AS_MADE
            log.warning(
                "slack refused %s notification(s) of kind %s: %s; %s",
                len(group),
                group[0].kind,
                error,
                "parked: the same message would be refused again" if futile else "will retry",
            )
            self._finish(group, error=str(error), retry=not futile)
            return 0
        except Exception as error:
            # ids and kind only: the message text is the users' business, not the log's
            log.exception(
                "sending notification(s) %s of kind %s failed; will retry",
                [owed.claim.notification_id for owed in group],
                group[0].kind,
            )
            self._finish(group, error=f"{type(error).__name__}: {error}")
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
        """Post the lead's card to its owner once; afterwards edit that same message.

        A card Slack no longer has (the rep deleted it, or it is in a channel we lost) is
        `message_not_found` on every edit, for ever: a fresh card is posted instead, and its
        place stored for the edits after it.
        """
        rt = self._runtime
        with rt.transaction(write=False) as session:
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
                    outbox.defer(
                        session=session, claim=owed.claim, until=rt.clock() + timedelta(seconds=60)
                    )
                return 0
            try:
                rt.slack.update_message(
                    assignment.dm_channel,
                    assignment.dm_ts,
                    text=message.text,
                    blocks=message.blocks,
                )
            except SlackCallFailed as error:
                if error.error != "message_not_found":
                    raise
                log.info("the card of assignment %s is gone; posting a new one", assignment.id)
            else:
                self._finish([owed])
                return 1
        posted = rt.slack.post_dm(assignment.assignee, text=message.text, blocks=message.blocks)
        with rt.transaction() as session:
            if self._mark(session, [owed], error=None, retry=True):
                # only the holder says where the card is; a worker that lost its claim
                # must not point later edits away from the holder's card
                row = leads.get_assignment(session=session, assignment_id=assignment.id)
                if row is not None:
                    row.dm_channel, row.dm_ts = posted.channel, posted.ts
                    session.add(row)
        return 1

    def _finish(self, group: list[_Owed], *, error: str | None = None, retry: bool = True) -> None:
        with self._runtime.transaction() as session:
            self._mark(session, group, error=error, retry=retry)

    def _mark(self, session: Any, group: list[_Owed], *, error: str | None, retry: bool) -> bool:
        """Mark each notification sent or failed; True when this worker held them all.

        A mark without the claim changes nothing: the notification was taken over, and may
        already be sent, so a late failure here must not put it back in the queue.
        """
        now = self._runtime.clock()
        held = True
        for owed in group:
            if error is None:
                marked = outbox.mark_sent(session=session, claim=owed.claim, now=now)
            else:
                marked = outbox.mark_failed(
                    session=session, claim=owed.claim, now=now, error=error, retry=retry
                )
            if not marked:  # the send outlasted the lease: the new holder may send it too
                log.warning(
                    "notification %s was taken over mid-send; leaving it to its new holder",
                    owed.claim.notification_id,
                )
            held = held and marked
        return held


def _grouped(owed: list[_Owed]) -> list[list[_Owed]]:
    """Cards and digests one by one; alerts grouped per (kind, recipient), in runs that fit
    one message each (`_runs`)."""
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
    return [run for group in result for run in _runs(group)]


def _runs(group: list[_Owed]) -> list[list[_Owed]]:
    """An alert group in consecutive runs whose message text (title and every line, see
    `_alert_message`) stays within the `TEXT_SHOWN` characters Slack shows of a notification.

    One message for a whole group could not always go out: 150 leads breaching at one instant
    make a message Slack refuses (or cuts), and the courier would retry that same message for
    ever. Within this bound the blocks are a few sections, far inside Slack's limits, and a
    channel still gets one post per run, paced like any other.
    """
    if group[0].kind in SOLO:
        return [group]
    heading = len(TITLES.get(group[0].kind, "leadclock")) + 2  # "title: "
    runs: list[list[_Owed]] = []
    size = 0
    for item in group:
        line = len(item.text or "") + 3  # "• " and the newline before it
        if runs and size + line <= TEXT_SHOWN:
            runs[-1].append(item)
            size += line
        else:
            runs.append([item])
            size = heading + line
    return runs


def _alert_message(kind: NoticeKind, lines: list[str]) -> Message:
    """One alert, or a run of them as bullets, under the kind's title; the blocks packed in
    sections Slack takes (a line too long alone, say a lead with a huge name, is cut)."""
    title = TITLES.get(kind, "leadclock")
    body = [f"• {line}" for line in lines] if len(lines) > 1 else lines
    text = cut(f"{title}: " + "\n".join(body), TEXT_SHOWN)
    return Message(text=text, blocks=sections([f"*{title}*", *body]))


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
