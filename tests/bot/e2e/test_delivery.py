"""Nothing lost, nothing twice: the outbox keeps what Slack refused, and couriers racing over
one database never send a notification twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
from sqlmodel import select

import bot.courier
from bot.courier import CALLS_PER_SEND, lease_for
from bot.flows.attempts import log_attempt
from bot.flows.sweep import SweepReport, sweep
from bot.sandbox import BOT_TOKEN, Sandbox
from bot.wiring import Process, build_process
from sla.lead import AttemptChannel
from storage.models import Notification
from storage.repositories import outbox
from tests.bot.e2e.conftest import (
    BREACH,
    CHANNEL,
    MANAGER,
    NUDGE,
    START,
    Waits,
    alerts,
    card_of,
    dm_messages,
    dm_posts,
    lead,
    lead_payload,
    local,
    new_lead,
    reply,
    text_of,
    updates_of,
)


def test_a_dm_that_slack_keeps_refusing_stays_owed_and_goes_out_once(box: Sandbox, waits: Waits):
    box.slack.fail_next("chat.postMessage", status=500, times=10)
    owner = new_lead(box)["assignee"]  # the intake answer does not wait for Slack
    assert lead(box, "lead-1")["status"] == "assigned"
    assert dm_posts(box, owner) == []
    assert waits.slack == [0.5, 1.0, 2.0]  # four tries with backoff, then back to the outbox

    tries = len(box.slack.calls("chat.postMessage"))
    assert box.tick(START + timedelta(seconds=10)).sent == 0  # not due again yet
    assert len(box.slack.calls("chat.postMessage")) == tries
    assert box.tick(START + timedelta(seconds=15)).sent == 0  # four more 500s
    assert dm_posts(box, owner) == []
    assert box.tick(START + timedelta(seconds=45)).sent == 1  # two 500s left, then accepted
    assert len(dm_posts(box, owner)) == 1
    assert box.tick(START + timedelta(minutes=5)).sent == 0
    assert len(dm_messages(box, owner)) == 1
    assert len(box.slack.calls("chat.postMessage")) == 11


def test_rate_limits_wait_for_retry_after_then_the_outbox_takes_over(box: Sandbox, waits: Waits):
    box.slack.fail_next("chat.postMessage", status=429, retry_after=7, times=5)
    owner = new_lead(box)["assignee"]
    assert waits.slack == [7.0, 7.0, 7.0]  # Retry-After honoured, not the backoff
    assert dm_posts(box, owner) == []
    assert box.tick(START + timedelta(seconds=15)).sent == 1  # one 429 left, then accepted
    assert waits.slack[3:] == [7.0]
    assert len(dm_posts(box, owner)) == 1
    box.tick(START + timedelta(minutes=2))
    assert len(dm_messages(box, owner)) == 1


def test_a_failed_card_edit_is_retried_until_it_lands(box: Sandbox):
    owner = new_lead(box)["assignee"]
    card = card_of(box, owner, "lead-1")
    box.slack.fail_next("chat.update", status=503, times=4)
    box.clock.set(local(7, 9, 15))
    assert "attempt 1 of 5" in reply(box.slash(owner, "/attempt", "lead-1 call"))
    assert updates_of(box, card) == []
    box.tick(local(7, 9, 16))
    [edit] = updates_of(box, card)
    assert "1 of 5 attempts logged" in text_of(edit.params)
    box.tick(local(7, 9, 30))
    assert len(updates_of(box, card)) == 1


def test_a_breach_alert_slack_refuses_is_sent_later_exactly_once(box: Sandbox):
    owner = new_lead(box)["assignee"]
    box.slack.fail_next("chat.postMessage", error="channel_not_found")
    box.tick(local(7, 13, 1))
    delivered = {r: len(alerts(box, r, BREACH)) for r in (owner, CHANNEL, MANAGER)}
    assert sum(delivered.values()) == 2  # the first post was refused; the other two went out
    box.tick(local(7, 13, 2))  # not due again yet (back-off)
    box.tick(local(7, 13, 30))
    for recipient in (owner, CHANNEL, MANAGER):
        assert len(alerts(box, recipient, BREACH)) == 1, recipient


def test_a_notification_of_a_kind_this_version_does_not_know_is_parked_not_fatal(box: Sandbox):
    assert box.process is not None
    runtime = box.process.runtime
    with runtime.transaction() as session:  # as a newer leadclock sharing the database might
        outbox.enqueue(
            session=session,
            dedupe_key="future:1",
            kind="hologram",
            recipient=CHANNEL,
            now=box.clock(),
            text="from the future",
        )
    owner = new_lead(box)["assignee"]  # its card goes out despite the stranger in the queue
    assert card_of(box, owner, "lead-1")
    box.tick(local(7, 9, 0))
    with runtime.transaction() as session:
        parked = session.exec(select(Notification).where(Notification.kind == "hologram")).one()
    assert (parked.status, parked.last_error) == ("failed", "unknown kind 'hologram'")
    assert not any("from the future" in str(c.params) for c in box.slack.calls())


def test_two_couriers_on_one_database_never_send_twice(box: Sandbox):
    assert box.process is not None
    owners = {f"lead-{n}": new_lead(box)["assignee"] for n in range(1, 10)}
    cards = {lead_id: card_of(box, owner, lead_id) for lead_id, owner in owners.items()}
    other = build_process(box.process.runtime.settings, clock=box.clock, policy=box.policy)
    other.runtime.worker = "replica-2"
    try:
        box.clock.set(local(7, 13, 5))
        runtime = box.process.runtime
        with runtime.transaction() as session:  # the scheduler's pass, minus the courier
            assert sweep(session, policy=runtime.policy, now=box.clock()).breaches == 9
        couriers = [box.process.courier, other.courier]
        start = threading.Barrier(len(couriers))
        sent: list[int] = []
        errors: list[BaseException] = []

        def deliver(courier) -> None:
            """Claim one at a time and keep coming back, so the two really interleave."""
            try:
                start.wait(timeout=10)
                total, idle = 0, 0
                while idle < 3:
                    n = courier.deliver_due(batch=1)
                    total, idle = total + n, 0 if n else idle + 1
                sent.append(total)
            except BaseException as error:  # reported below, with the thread's own error
                errors.append(error)

        threads = [threading.Thread(target=deliver, args=(c,)) for c in couriers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert sum(sent) == 9 * 4  # per lead: a card edit, rep, channel and manager alerts
        assert other.courier.deliver_due() == 0 and box.process.courier.deliver_due() == 0
    finally:
        other.runtime.engine.dispose()

    for lead_id, owner in owners.items():
        assert len(updates_of(box, cards[lead_id])) == 1, lead_id
        for recipient in (owner, CHANNEL, MANAGER):
            mentions = sum(
                f"{lead_id} " in c.params["text"] for c in alerts(box, recipient, BREACH)
            )
            assert mentions == 1, (lead_id, recipient)


# --- leases: a slow send and a second replica ------------------------------------------------


@contextmanager
def replica(box: Sandbox) -> Iterator[Process]:
    """A second process on the same database, Slack and clock, with its own worker name."""
    assert box.process is not None
    other = build_process(box.process.runtime.settings, clock=box.clock, policy=box.policy)
    other.runtime.worker = "replica-2"
    try:
        yield other
    finally:
        other.runtime.engine.dispose()


def sweep_only(box: Sandbox, now: datetime) -> SweepReport:
    """The scheduler's pass without its courier, so a test decides who delivers."""
    assert box.process is not None
    box.clock.set(now)
    runtime = box.process.runtime
    with runtime.transaction() as session:
        return sweep(session, policy=runtime.policy, now=now)


def in_thread(work) -> tuple[threading.Thread, list[int]]:
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(work()))
    thread.start()
    return thread, result


def breach_mentions(box: Sandbox, lead_id: str, recipient: str) -> int:
    return sum(f"{lead_id} " in c.params["text"] for c in alerts(box, recipient, BREACH))


def test_a_post_slow_for_six_minutes_is_not_taken_over(box: Sandbox):
    """The reviewer's case: with a five-minute lease B took over A's slow post and sent it too.
    The lease now outlasts the slowest send SlackApi can make, so B leaves it alone."""
    assert box.process is not None
    owner = new_lead(box)["assignee"]
    held = box.slack.hold_next("chat.postMessage")
    start = local(7, 11, 0)
    assert sweep_only(box, start).reminders == 1
    with replica(box) as other:
        a, a_sent = in_thread(box.process.courier.deliver_due)
        held.wait_arrived()
        box.clock.set(start + timedelta(minutes=6))
        assert other.courier.deliver_due() == 0
        held.release()
        a.join(timeout=30)
        assert a_sent == [2]  # the nudge and the card edit
        assert other.courier.deliver_due() == 0
    assert len(alerts(box, owner, NUDGE)) == 1
    slack = box.process.runtime.slack
    assert lease_for(slack) > CALLS_PER_SEND * slack.longest_call


def test_a_slow_batch_loses_only_what_it_had_not_started_and_nothing_goes_twice(box: Sandbox):
    """Courier A claims a whole batch; its sends are slow, so the clock passes the lease of
    the rows it has not reached yet. Replica B takes those over and sends them; A skips them,
    and the send A was in the middle of (its claim renewed when it began) stays A's."""
    assert box.process is not None
    owners = {f"lead-{n}": new_lead(box)["assignee"] for n in range(1, 4)}
    cards = {lead_id: card_of(box, owner, lead_id) for lead_id, owner in owners.items()}
    first, second = (box.slack.hold_next("chat.postMessage") for _ in range(2))
    lease = lease_for(box.process.runtime.slack)
    start = local(7, 13, 5)
    assert sweep_only(box, start).breaches == 3
    with replica(box) as other:
        a, a_sent = in_thread(box.process.courier.deliver_due)
        first.wait_arrived()  # A's first post, claimed with the batch at `start`
        box.clock.set(start + lease / 2)
        first.release()
        second.wait_arrived()  # A's second post: its claim renewed at start + lease/2
        box.clock.set(start + lease + timedelta(minutes=1))
        b_sent = other.courier.deliver_due()  # only what A has not begun is past its lease
        second.release()
        a.join(timeout=30)
        assert other.courier.deliver_due() == 0 and box.process.courier.deliver_due() == 0
    # per lead: a card edit, rep, channel and manager alerts; B took over what A had not begun
    assert a_sent[0] + b_sent == 12 and b_sent > 0
    for lead_id, owner in owners.items():
        assert len(updates_of(box, cards[lead_id])) == 1, lead_id
        for recipient in (owner, CHANNEL, MANAGER):
            assert breach_mentions(box, lead_id, recipient) == 1, (lead_id, recipient)


def test_a_send_that_fails_after_another_replica_sent_it_stays_sent(box: Sandbox):
    """B took over A's nudge (A's post hung past the lease) and sent it; then A's post fails.
    A's failure must not put the nudge back in the queue: it is sent once, not again later."""
    assert box.process is not None
    owner = new_lead(box)["assignee"]
    card = card_of(box, owner, "lead-1")
    held = box.slack.hold_next("chat.postMessage", error="fatal_error")
    lease = lease_for(box.process.runtime.slack)
    start = local(7, 11, 0)
    assert sweep_only(box, start).reminders == 1
    with replica(box) as other:
        a, _ = in_thread(box.process.courier.deliver_due)
        held.wait_arrived()
        box.clock.set(start + lease + timedelta(minutes=1))
        other.courier.deliver_due()
        assert len(alerts(box, owner, NUDGE)) == 1  # B sent the nudge A is stuck on
        held.release()  # A's post is refused only now
        a.join(timeout=30)
        for later in (timedelta(minutes=2), timedelta(hours=1)):
            box.clock.set(start + lease + later)
            assert other.courier.deliver_due() == 0
            assert box.process.courier.deliver_due() == 0
    assert len(alerts(box, owner, NUDGE)) == 1
    assert len(updates_of(box, card)) == 1
    with box.process.runtime.transaction() as session:
        statuses = {n.kind: n.status for n in session.exec(select(Notification))}
    assert statuses["nudge"] == "sent"


# --- one card per assignment, edited in place -------------------------------------------------


def manager_logs_a_call(box: Sandbox, lead_id: str = "lead-1") -> None:
    """`/attempt` as its flow, committed here and now: the card is owed an update, and no
    courier runs (a slash command through HTTP would deliver before it answers)."""
    assert box.process is not None
    runtime = box.process.runtime
    with runtime.transaction() as session:
        log_attempt(
            session,
            lead_id,
            actor=MANAGER,
            channel=AttemptChannel.CALL,
            outcome=None,
            note=None,
            policy=runtime.policy,
            clock=box.clock,
        )


def test_two_couriers_racing_on_a_first_post_and_an_update_make_one_card(box: Sandbox):
    """A is posting the new lead's card when the lead changes; B runs meanwhile. Only one
    courier can hold the card, so B waits its turn, and the update edits A's card."""
    assert box.process is not None
    held = box.slack.hold_next("chat.postMessage")
    intake, _ = in_thread(lambda: box.post_lead(lead_payload()))  # A delivers in the request
    held.wait_arrived()
    [first_post] = box.slack.calls("chat.postMessage")
    owner = "U" + str(first_post.params["channel"])[1:]  # the stand-in's DM ids mirror users
    manager_logs_a_call(box)
    with replica(box) as other:
        assert other.courier.deliver_due() == 0  # the card is A's while A posts it
        held.release()
        intake.join(timeout=30)
        assert other.courier.deliver_due() == 1  # the update A's post did not show yet
    card = card_of(box, owner, "lead-1")
    assert len(dm_posts(box, owner)) == 1
    [edit] = updates_of(box, card)
    assert "1 of 5 attempts logged" in text_of(edit.params)
    assert "1 of 5 attempts logged" in text_of(card)


def test_a_change_while_the_card_is_being_edited_is_edited_in_next(box: Sandbox):
    assert box.process is not None
    owner = new_lead(box)["assignee"]
    card = card_of(box, owner, "lead-1")
    held = box.slack.hold_next("chat.update")
    assert sweep_only(box, local(7, 11, 0)).reminders == 1
    a, a_sent = in_thread(box.process.courier.deliver_due)
    held.wait_arrived()  # the edit for the reminder is on its way, without the attempt
    manager_logs_a_call(box)
    held.release()
    a.join(timeout=30)
    assert a_sent == [1]  # the card edit; the nudge, overtaken by the call, was dropped
    assert dropped(box) == ["its deadline passed or was met before it could go out"]
    [stale] = updates_of(box, card)
    assert "1 of 5 attempts logged" not in text_of(stale.params)
    assert box.process.courier.deliver_due() == 1  # the next pass edits again
    assert "1 of 5 attempts logged" in text_of(card_of(box, owner, "lead-1"))
    assert len(updates_of(box, card)) == 2
    assert box.process.courier.deliver_due() == 0


def test_several_changes_due_together_are_one_edit(box: Sandbox):
    """A reminder fires and an attempt is logged before the courier runs: one edit, the
    latest state, not one identical edit per change."""
    assert box.process is not None
    owner = new_lead(box)["assignee"]
    card = card_of(box, owner, "lead-1")
    assert sweep_only(box, local(7, 11, 0)).reminders == 1
    manager_logs_a_call(box)
    assert box.process.courier.deliver_due() == 1  # one card edit (the call made the nudge moot)
    [edit] = updates_of(box, card)
    assert "1 of 5 attempts logged" in text_of(edit.params)


def test_a_card_gone_from_slack_is_posted_afresh_and_edited_there_from_then_on(box: Sandbox):
    owner = new_lead(box)["assignee"]
    [gone] = dm_messages(box, owner)
    box.slack.fail_next("chat.update", error="message_not_found")  # the rep deleted the card
    box.clock.set(local(7, 9, 15))
    assert "attempt 1 of 5" in reply(box.slash(owner, "/attempt", "lead-1 call"))
    fresh = dm_messages(box, owner)[-1]
    assert fresh.ts != gone.ts and len(dm_posts(box, owner)) == 2
    assert "1 of 5 attempts logged" in text_of(fresh)
    box.clock.set(local(7, 9, 20))
    assert "attempt 2 of 5" in reply(box.slash(owner, "/attempt", "lead-1 email"))
    [refused, edit] = box.slack.calls("chat.update")
    assert (refused.params["ts"], refused.error) == (gone.ts, "message_not_found")
    assert (edit.params["channel"], edit.params["ts"], edit.error) == (
        fresh.channel,
        fresh.ts,
        None,
    )
    assert "2 of 5 attempts logged" in text_of(edit.params)
    assert box.process is not None
    box.clock.set(local(7, 9, 30))
    assert box.process.courier.deliver_due() == 0  # nothing left owed: no edit retried for ever


# --- one bad notification does not hold up the others -----------------------------------------


def test_a_card_that_cannot_be_rendered_backs_off_and_the_rest_of_its_batch_goes_out(
    box: Sandbox, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    assert box.process is not None
    owners = {f"lead-{n}": new_lead(box)["assignee"] for n in (1, 2)}
    cards = {lead_id: card_of(box, owner, lead_id) for lead_id, owner in owners.items()}
    render = bot.courier.dm_card

    def dm_card_failing_for_lead_1(record, assignment, **options):
        if record.id == "lead-1":
            raise RuntimeError("a bug in rendering this lead's card")
        return render(record, assignment, **options)

    monkeypatch.setattr(bot.courier, "dm_card", dm_card_failing_for_lead_1)
    start = local(7, 13, 5)
    assert sweep_only(box, start).breaches == 2
    # all eight in one batch: lead-2's card, both reps' alerts, the channel's and the
    # manager's (two lines each); only lead-1's card is left behind
    assert box.process.courier.deliver_due() == 7
    [logged] = [r for r in caplog.records if r.name == "bot.courier" and r.exc_info]
    assert "RuntimeError: a bug in rendering" in caplog.text  # the traceback is there
    assert BOT_TOKEN not in caplog.text and "Dana Whitfield" not in logged.getMessage()
    assert updates_of(box, cards["lead-1"]) == []
    assert len(updates_of(box, cards["lead-2"])) == 1
    for lead_id, owner in owners.items():
        for recipient in (owner, CHANNEL, MANAGER):
            assert breach_mentions(box, lead_id, recipient) == 1, (lead_id, recipient)
    with box.process.runtime.transaction() as session:
        rows = session.exec(select(Notification)).all()
    [bad] = [r for r in rows if r.status != "sent"]
    assert (bad.kind, bad.status, bad.tries, bad.next_attempt_at) == (
        "card",
        "pending",
        1,
        start + timedelta(seconds=15),
    )
    assert bad.last_error == "RuntimeError: a bug in rendering this lead's card"

    monkeypatch.setattr(bot.courier, "dm_card", render)  # the bug is fixed and deployed
    box.clock.set(start + timedelta(seconds=15))
    assert box.process.courier.deliver_due() == 1
    assert len(updates_of(box, cards["lead-1"])) == 1


def nudges_seen(box: Sandbox, owner: str) -> list[str]:
    return [c.params["text"] for c in alerts(box, owner, NUDGE)]


def dropped(box: Sandbox) -> list[str]:
    assert box.process is not None
    with box.process.runtime.transaction() as session:
        rows = session.exec(select(Notification).where(Notification.status == "dropped")).all()
        return [row.last_error or "" for row in rows]


def test_a_nudge_held_up_until_its_attempt_was_made_is_dropped(box: Sandbox, waits: Waits):
    owner = new_lead(box)["assignee"]  # due 13:00; nudges at 11:00 (50%) and 12:45 (15m)
    box.tick(local(7, 11, 0))
    assert len(nudges_seen(box, owner)) == 1
    box.slack.fail_next("chat.postMessage", status=503, times=4)  # every try of the 12:45 one
    box.tick(local(7, 12, 45))
    assert len(nudges_seen(box, owner)) == 1
    box.clock.set(local(7, 12, 50))
    reply(box.slash(owner, "/attempt", "lead-1 call"))  # what the nudge asked for
    box.tick(local(7, 12, 51))
    assert len(nudges_seen(box, owner)) == 1  # "15m left" would now be false
    assert dropped(box) == ["its deadline passed or was met before it could go out"]


def test_a_nudge_held_up_past_its_deadline_is_dropped_and_the_breach_still_goes(
    box: Sandbox, waits: Waits
):
    owner = new_lead(box)["assignee"]
    box.slack.fail_next("chat.postMessage", status=503, times=4)
    box.tick(local(7, 12, 45))  # the 15m nudge (and the 11:00 one, seen late: only the latest)
    assert nudges_seen(box, owner) == []
    box.tick(local(7, 13, 1))
    assert nudges_seen(box, owner) == []
    assert len(alerts(box, owner, BREACH)) == 1
    assert len(dropped(box)) == 1


def test_a_message_slack_refuses_for_its_content_is_parked_not_retried_for_ever(box: Sandbox):
    owner = new_lead(box)["assignee"]
    box.slack.fail_next("chat.postMessage", error="invalid_blocks")  # the rep's breach alert
    box.tick(local(7, 13, 1))
    assert alerts(box, owner, BREACH) == []
    assert alerts(box, CHANNEL, BREACH) and alerts(box, MANAGER, BREACH)  # the others went
    tries = len(box.slack.calls("chat.postMessage"))
    box.tick(local(7, 14, 0))
    box.tick(local(7, 16, 0))
    assert len(box.slack.calls("chat.postMessage")) == tries  # never sent again
    assert box.process is not None
    with box.process.runtime.transaction() as session:
        [parked] = session.exec(select(Notification).where(Notification.status == "failed")).all()
    assert "invalid_blocks" in (parked.last_error or "")
