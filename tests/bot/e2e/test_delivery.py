"""Nothing lost, nothing twice: the outbox keeps what Slack refused, and couriers racing over
one database never send a notification twice."""

from __future__ import annotations

import threading
from datetime import timedelta

from bot.flows.sweep import sweep
from bot.sandbox import Sandbox
from bot.wiring import build_process
from tests.bot.e2e.conftest import (
    BREACH,
    CHANNEL,
    MANAGER,
    START,
    Waits,
    alerts,
    card_of,
    dm_messages,
    dm_posts,
    lead,
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
