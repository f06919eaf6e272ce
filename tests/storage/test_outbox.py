"""The notification outbox: dedupe, claims with leases, backoff, and concurrent couriers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import select

from storage.engine import transaction
from storage.models import Notification
from storage.repositories import outbox
from tests.storage.conftest import T0, fresh_session, is_pg

SECOND = timedelta(seconds=1)
LEASE = timedelta(minutes=20)


def _enqueue(session, key: str = "n1", *, now=T0, **extra) -> bool:
    return outbox.enqueue(
        session=session, dedupe_key=key, kind="nudge", recipient="U0REP1", now=now, **extra
    )


def _claims(engine, *, now, worker: str = "w1", limit: int = 10) -> list[outbox.Claim]:
    with transaction(engine) as session:
        rows = outbox.claim_due(session=session, now=now, worker=worker, limit=limit, lease=LEASE)
        return [outbox.claim_of(row) for row in rows]


def _claim(engine, *, now, worker: str = "w1", limit: int = 10) -> list[int]:
    return [c.notification_id for c in _claims(engine, now=now, worker=worker, limit=limit)]


def _row(engine, notification_id: int) -> Notification:
    with transaction(engine) as session:
        row = session.get(Notification, notification_id)
        assert row is not None
        return row


def _fail(engine, claim: outbox.Claim, *, now, retry: bool = True) -> Notification:
    with transaction(engine) as session:
        assert outbox.mark_failed(session=session, claim=claim, now=now, error="boom", retry=retry)
    return _row(engine, claim.notification_id)


def test_enqueue_dedupes_on_the_key(engine):
    with transaction(engine) as session:
        assert _enqueue(session, "k", text="first")
        assert not _enqueue(session, "k", text="second")
    with transaction(engine) as session:
        assert not _enqueue(session, "k", text="third", now=T0 + timedelta(days=1))
        rows = session.exec(select(Notification)).all()
    assert [(r.text, r.status, r.tries, r.next_attempt_at) for r in rows] == [
        ("first", "pending", 0, T0)
    ]


def test_enqueue_keeps_blocks_as_json(engine):
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi* ✓"}}]
    with transaction(engine) as session:
        _enqueue(session, blocks=blocks)
    [notification_id] = _claim(engine, now=T0)
    assert _row(engine, notification_id).blocks == blocks


def test_claim_marks_sending_for_the_worker_and_a_second_claimer_gets_nothing(engine):
    with transaction(engine) as session:
        for key in ("a", "b", "c"):
            _enqueue(session, key)
        _enqueue(session, "later", now=T0 + timedelta(minutes=1))
    claimed = _claim(engine, now=T0, worker="w1")
    assert len(claimed) == 3
    for notification_id in claimed:
        row = _row(engine, notification_id)
        assert (row.status, row.claimed_by, row.claimed_at) == ("sending", "w1", T0)
    assert _claim(engine, now=T0 + SECOND, worker="w2") == []
    [later] = _claim(engine, now=T0 + timedelta(minutes=1), worker="w2")
    assert later not in claimed


def test_claim_takes_the_oldest_first_up_to_the_limit(engine):
    with transaction(engine) as session:
        for i in range(5):
            _enqueue(session, f"k{i}", now=T0 - timedelta(minutes=i))
    first = _claim(engine, now=T0, limit=2)
    with transaction(engine) as session:
        times = [session.get(Notification, i).next_attempt_at for i in first]  # type: ignore[union-attr]
    assert times == [T0 - timedelta(minutes=4), T0 - timedelta(minutes=3)]
    assert len(_claim(engine, now=T0, limit=10)) == 3


def test_a_concurrent_claimer_in_an_open_transaction_gets_disjoint_rows(engine):
    with transaction(engine) as session:
        for i in range(6):
            _enqueue(session, f"k{i}")
    if not is_pg(engine):
        pytest.skip("SQLite serialises writers: the second claim waits for the first to commit")
    with fresh_session(engine) as one, fresh_session(engine) as two:
        a = {n.id for n in outbox.claim_due(session=one, now=T0, worker="w1", limit=4, lease=LEASE)}
        b = {n.id for n in outbox.claim_due(session=two, now=T0, worker="w2", limit=4, lease=LEASE)}
        one.commit()
        two.commit()
    assert len(a) == 4 and len(b) == 2 and not a & b


def test_mark_failed_backs_off_exponentially_up_to_thirty_minutes(engine):
    with transaction(engine) as session:
        _enqueue(session)
    now = T0
    waits = []
    for _ in range(10):
        [claim] = _claims(engine, now=now)
        row = _fail(engine, claim, now=now)
        assert (row.status, row.claimed_by, row.last_error) == ("pending", None, "boom")
        wait = row.next_attempt_at - now
        waits.append(int(wait.total_seconds()))
        assert _claim(engine, now=now + wait - SECOND) == []  # not before the backoff
        now += wait
    assert waits == [15, 30, 60, 120, 240, 480, 960, 1800, 1800, 1800]
    assert _row(engine, claim.notification_id).tries == 10


def test_backoff_stays_capped_after_very_many_tries(engine):
    """A day-long Slack outage must not overflow the backoff arithmetic."""
    with transaction(engine) as session:
        _enqueue(session)
    [claim] = _claims(engine, now=T0)
    with transaction(engine) as session:
        session.get(Notification, claim.notification_id).tries = 200  # type: ignore[union-attr]
    row = _fail(engine, claim, now=T0)
    assert row.tries == 201
    assert row.next_attempt_at == T0 + timedelta(minutes=30)


def test_mark_failed_without_retry_parks_the_notification(engine):
    with transaction(engine) as session:
        _enqueue(session)
    [claim] = _claims(engine, now=T0)
    row = _fail(engine, claim, now=T0, retry=False)
    assert row.status == "failed"
    assert _claim(engine, now=T0 + timedelta(days=30)) == []


def test_a_stale_sending_claim_is_taken_over_after_the_lease(engine):
    with transaction(engine) as session:
        _enqueue(session)
    [notification_id] = _claim(engine, now=T0, worker="dead")
    assert _claim(engine, now=T0 + LEASE, worker="w2") == []  # exactly at the lease: kept
    assert _claim(engine, now=T0 + LEASE + SECOND, worker="w2") == [notification_id]
    row = _row(engine, notification_id)
    assert (row.status, row.claimed_by, row.claimed_at) == ("sending", "w2", T0 + LEASE + SECOND)


def test_renewing_restarts_the_lease(engine):
    with transaction(engine) as session:
        _enqueue(session)
    [claim] = _claims(engine, now=T0, worker="w1")
    with transaction(engine) as session:
        renewed = outbox.renew(session=session, claim=claim, now=T0 + LEASE - SECOND, lease=LEASE)
    assert renewed == outbox.Claim(claim.notification_id, "w1", T0 + LEASE - SECOND, 0)
    assert _claim(engine, now=T0 + LEASE + SECOND, worker="w2") == []  # the renewal holds
    assert _claim(engine, now=T0 + 2 * LEASE, worker="w2") == [claim.notification_id]


def test_a_claim_lapses_soon_while_queued_and_late_once_its_send_began(engine):
    queued, sending = timedelta(minutes=5), timedelta(minutes=40)
    with transaction(engine) as session:
        _enqueue(session, "reached")
        _enqueue(session, "not-reached")
    with transaction(engine) as session:
        rows = outbox.claim_due(session=session, now=T0, worker="w1", limit=10, lease=queued)
        claims = {row.dedupe_key: outbox.claim_of(row) for row in rows}
    with transaction(engine) as session:  # w1 starts sending one, then dies
        outbox.renew(session=session, claim=claims["reached"], now=T0 + SECOND, lease=sending)
    later = T0 + queued + SECOND
    with transaction(engine) as session:
        taken = outbox.claim_due(session=session, now=later, worker="w2", limit=10, lease=queued)
        assert [row.dedupe_key for row in taken] == ["not-reached"]
    for at, free in ((T0 + SECOND + sending, False), (T0 + SECOND + sending + SECOND, True)):
        with transaction(engine) as session:
            taken = outbox.claim_due(session=session, now=at, worker="w3", limit=10, lease=queued)
            assert ("reached" in [row.dedupe_key for row in taken]) is free


def test_a_claim_taken_over_can_no_longer_renew_mark_or_defer(engine):
    with transaction(engine) as session:
        _enqueue(session)
    [old] = _claims(engine, now=T0, worker="w1")
    [new] = _claims(engine, now=T0 + LEASE + SECOND, worker="w2")
    later = T0 + LEASE + 2 * SECOND
    with transaction(engine) as session:
        assert outbox.renew(session=session, claim=old, now=later, lease=LEASE) is None
        assert not outbox.mark_sent(session=session, claim=old, now=later)
        assert not outbox.mark_failed(session=session, claim=old, now=later, error="late")
        assert not outbox.defer(session=session, claim=old, until=later)
    row = _row(engine, new.notification_id)
    assert (row.status, row.claimed_by, row.claimed_at, row.tries, row.last_error) == (
        "sending",
        "w2",
        new.claimed_at,
        0,
        None,
    )


def test_a_late_failure_from_the_first_holder_does_not_unsend_what_the_second_sent(engine):
    with transaction(engine) as session:
        _enqueue(session)
    [first] = _claims(engine, now=T0, worker="w1")
    [second] = _claims(engine, now=T0 + LEASE + SECOND, worker="w2")
    with transaction(engine) as session:
        assert outbox.mark_sent(session=session, claim=second, now=T0 + LEASE + SECOND)
    with transaction(engine) as session:
        assert not outbox.mark_failed(
            session=session, claim=first, now=T0 + LEASE + 2 * SECOND, error="x"
        )
    row = _row(engine, first.notification_id)
    assert (row.status, row.sent_at, row.last_error) == ("sent", T0 + LEASE + SECOND, None)
    assert _claim(engine, now=T0 + 3 * LEASE, worker="w3") == []


def test_a_workers_own_earlier_claim_is_stale_once_it_claimed_the_row_again(engine):
    """The claim time, not only the worker, names a claim: after taking its own stale row
    back, a worker's old claim (say, a thread still finishing the first send) counts for nothing."""
    with transaction(engine) as session:
        _enqueue(session)
    [old] = _claims(engine, now=T0, worker="w1")
    [new] = _claims(engine, now=T0 + LEASE + SECOND, worker="w1")
    with transaction(engine) as session:
        assert not outbox.mark_failed(session=session, claim=old, now=new.claimed_at, error="x")
        assert outbox.mark_sent(session=session, claim=new, now=new.claimed_at)


def test_mark_sent_is_final(engine):
    with transaction(engine) as session:
        _enqueue(session)
    [claim] = _claims(engine, now=T0)
    with transaction(engine) as session:
        assert outbox.mark_sent(session=session, claim=claim, now=T0 + SECOND)
    row = _row(engine, claim.notification_id)
    assert (row.status, row.sent_at, row.last_error) == ("sent", T0 + SECOND, None)
    assert _claim(engine, now=T0 + timedelta(days=1)) == []  # not even as a stale claim


def test_defer_hands_the_row_back_for_later(engine):
    with transaction(engine) as session:
        _enqueue(session)
    [claim] = _claims(engine, now=T0)
    with transaction(engine) as session:
        assert outbox.defer(session=session, claim=claim, until=T0 + timedelta(minutes=1))
    assert _row(engine, claim.notification_id).tries == 0
    assert _claim(engine, now=T0 + timedelta(seconds=59)) == []
    assert _claim(engine, now=T0 + timedelta(minutes=1)) == [claim.notification_id]


def test_a_dropped_message_is_kept_with_its_reason_and_never_claimed_again(engine):
    with transaction(engine) as session:
        _enqueue(session)
    [claim] = _claims(engine, now=T0)
    with transaction(engine) as session:
        assert outbox.drop(session=session, claim=claim, now=T0, reason="too late to help")
    row = _row(engine, claim.notification_id)
    assert (row.status, row.last_error, row.claimed_by) == ("dropped", "too late to help", None)
    assert _claim(engine, now=T0 + timedelta(days=1)) == []
    with transaction(engine) as session:  # a stale claim cannot drop what it lost
        assert not outbox.drop(session=session, claim=claim, now=T0, reason="again")


def test_concurrent_couriers_never_claim_one_row_twice(engine):
    total, workers = 200, 4
    with transaction(engine) as session:
        session.execute(
            insert(Notification),
            [
                {
                    "dedupe_key": f"bulk-{i}",
                    "kind": "nudge",
                    "recipient": "U0REP1",
                    "status": "pending",
                    "tries": 0,
                    "next_attempt_at": T0 - timedelta(seconds=i % 17),
                    "created_at": T0,
                }
                for i in range(total)
            ],
        )
    start = threading.Barrier(workers)
    claims: dict[str, list[int]] = {f"w{i}": [] for i in range(workers)}
    errors: list[BaseException] = []

    def courier(worker: str) -> None:
        start.wait(timeout=30)
        try:
            while batch := _claim(engine, now=T0, worker=worker, limit=7):
                claims[worker].extend(batch)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=courier, args=(w,)) for w in claims]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    every = [n for batch in claims.values() for n in batch]
    assert len(every) == len(set(every)) == total  # pairwise disjoint, and nothing left behind
    with transaction(engine) as session:
        rows = session.exec(select(Notification)).all()
    assert {r.status for r in rows} == {"sending"}
    assert all(r.id in claims[r.claimed_by or ""] for r in rows)  # owner on file = claimer


# --- re-armed rows: a card that shows the latest state ----------------------------------------


def _rearm(engine, key: str = "card:1", *, now=T0) -> None:
    with transaction(engine) as session:
        outbox.rearm(session=session, dedupe_key=key, kind="card", recipient="U0REP1", now=now)


def _sent(engine, claim: outbox.Claim, *, now) -> None:
    with transaction(engine) as session:
        assert outbox.mark_sent(session=session, claim=claim, now=now)


def _state(engine, notification_id: int) -> tuple:
    row = _row(engine, notification_id)
    return (row.status, row.generation, row.next_attempt_at, row.tries)


def test_rearm_inserts_once_then_counts_every_change_in_one_row(engine):
    for i in range(3):
        _rearm(engine, now=T0 + i * SECOND)
    with transaction(engine) as session:
        [row] = session.exec(select(Notification)).all()
    assert (row.dedupe_key, row.status, row.generation, row.next_attempt_at) == (
        "card:1",
        "pending",
        2,
        T0,  # still due when first owed: changes due together are one send
    )


def test_rearm_after_sending_makes_the_row_due_again_now(engine):
    _rearm(engine)
    [claim] = _claims(engine, now=T0)
    _sent(engine, claim, now=T0)
    _rearm(engine, now=T0 + timedelta(hours=1))
    assert _state(engine, claim.notification_id) == ("pending", 1, T0 + timedelta(hours=1), 0)
    assert _claim(engine, now=T0 + timedelta(hours=1)) == [claim.notification_id]


def test_rearm_brings_back_a_parked_row_with_fresh_tries(engine):
    _rearm(engine)
    [claim] = _claims(engine, now=T0)
    _fail(engine, claim, now=T0, retry=False)
    _rearm(engine, now=T0 + timedelta(hours=1))
    assert _state(engine, claim.notification_id) == ("pending", 1, T0 + timedelta(hours=1), 0)


def test_rearm_leaves_a_backoff_in_place(engine):
    _rearm(engine)
    [claim] = _claims(engine, now=T0)
    _fail(engine, claim, now=T0)  # Slack failed: due again in 15 s
    _rearm(engine, now=T0 + SECOND)
    assert _state(engine, claim.notification_id) == ("pending", 1, T0 + 15 * SECOND, 1)


def test_a_change_made_while_sending_sends_again_after_the_mark(engine):
    _rearm(engine)
    [claimed] = _claims(engine, now=T0)
    with transaction(engine) as session:
        sending = outbox.renew(session=session, claim=claimed, now=T0, lease=LEASE)
    assert sending is not None and sending.generation == 0
    _rearm(engine, now=T0 + SECOND)  # the lead changed while the card was on its way
    assert _state(engine, sending.notification_id)[:2] == ("sending", 1)
    _sent(engine, sending, now=T0 + 2 * SECOND)
    assert _state(engine, sending.notification_id) == ("pending", 1, T0 + 2 * SECOND, 0)
    [again] = _claims(engine, now=T0 + 2 * SECOND)
    _sent(engine, again, now=T0 + 3 * SECOND)
    assert _state(engine, again.notification_id)[:2] == ("sent", 1)


def test_renew_reads_the_generation_current_at_the_send(engine):
    _rearm(engine)
    [claimed] = _claims(engine, now=T0)
    _rearm(engine, now=T0)
    with transaction(engine) as session:
        sending = outbox.renew(session=session, claim=claimed, now=T0 + SECOND, lease=LEASE)
    assert (claimed.generation, sending and sending.generation) == (0, 1)
    _sent(engine, sending, now=T0 + SECOND)  # type: ignore[arg-type]
    assert _state(engine, claimed.notification_id)[0] == "sent"


def test_concurrent_rearms_are_all_counted(engine):
    _rearm(engine)
    workers = 4
    start = threading.Barrier(workers)
    errors: list[BaseException] = []

    def change() -> None:
        try:
            start.wait(timeout=30)
            for _ in range(5):
                _rearm(engine)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=change) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with transaction(engine) as session:
        [row] = session.exec(select(Notification)).all()
    assert row.generation == workers * 5


def test_exists_knows_a_key_whatever_became_of_its_message(engine):
    with transaction(engine) as session:
        assert not outbox.exists(session=session, dedupe_key="digest:daily:2026-12-07")
        _enqueue(session, "digest:daily:2026-12-07")
    [claim] = _claims(engine, now=T0)
    _sent(engine, claim, now=T0)
    with transaction(engine) as session:
        assert outbox.exists(session=session, dedupe_key="digest:daily:2026-12-07")
        assert not outbox.exists(session=session, dedupe_key="digest:daily:2026-12-08")
