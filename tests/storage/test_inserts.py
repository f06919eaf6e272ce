"""`insert_once`: the primitive that makes a piece of work happen once across replicas."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlmodel import func, select

from storage.engine import transaction
from storage.models import Breach, Rep, TimerFiring
from storage.repositories.inserts import insert_once
from tests.storage.conftest import T0, add_leads, lead_row


def test_first_insert_wins_and_the_second_is_a_no_op(engine):
    [lead_id] = add_leads(engine, lead_row())
    with transaction(engine) as session:
        assert insert_once(session, TimerFiring, lead_id=lead_id, key="k", fired_at=T0) is True
        assert insert_once(session, TimerFiring, lead_id=lead_id, key="k", fired_at=T0) is False
    with transaction(engine) as session:
        assert insert_once(session, TimerFiring, lead_id=lead_id, key="k", fired_at=T0) is False
        assert session.exec(select(TimerFiring.fired_at)).all() == [T0]


def test_the_transaction_stays_usable_after_a_conflict(engine):
    """No savepoint, no rollback: work before and after the conflict is committed together."""
    [lead_id] = add_leads(engine, lead_row())
    with transaction(engine) as session:
        insert_once(session, TimerFiring, lead_id=lead_id, key="k", fired_at=T0)
    with transaction(engine) as session:
        session.add(Rep(slack_id="U0BEFORE"))
        session.flush()
        assert not insert_once(session, TimerFiring, lead_id=lead_id, key="k", fired_at=T0)
        assert insert_once(session, TimerFiring, lead_id=lead_id, key="other", fired_at=T0)
        session.add(Rep(slack_id="U0AFTER"))
    with transaction(engine) as session:
        assert session.get(Rep, "U0BEFORE") is not None
        assert session.get(Rep, "U0AFTER") is not None
        assert sorted(session.exec(select(TimerFiring.key)).all()) == ["k", "other"]


def test_a_named_unique_constraint_counts_as_the_key(engine):
    """Breaches are unique on (lead, kind, deadline), not on the primary key."""
    [lead_id] = add_leads(engine, lead_row())
    values = dict(lead_id=lead_id, kind="first_contact", deadline=T0, recorded_at=T0)
    with transaction(engine) as session:
        assert insert_once(session, Breach, **values)
        assert not insert_once(session, Breach, **{**values, "recorded_at": T0 + timedelta(1)})
        assert insert_once(session, Breach, **{**values, "deadline": T0 + timedelta(hours=8)})
        assert session.exec(select(func.count()).select_from(Breach)).one() == 2


def _race(engine, lead_id: int, key: str) -> list[bool]:
    """Two transactions insert the same key at once; returns what each was told."""
    start = threading.Barrier(2)
    results: list[bool] = []
    errors: list[BaseException] = []

    def racer() -> None:
        try:
            start.wait(timeout=30)
            with transaction(engine) as session:
                won = insert_once(session, TimerFiring, lead_id=lead_id, key=key, fired_at=T0)
                time.sleep(0.05)  # hold the row uncommitted while the other one tries
            results.append(won)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=racer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return results


def test_two_concurrent_transactions_racing_on_one_key_have_one_winner(engine):
    [lead_id] = add_leads(engine, lead_row())
    for round_ in range(5):
        assert sorted(_race(engine, lead_id, f"race-{round_}")) == [False, True]
    with transaction(engine) as session:
        assert session.exec(select(func.count()).select_from(TimerFiring)).one() == 5
