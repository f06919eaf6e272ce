"""`storage.repositories.leads`: the due-work claim, per-rep counts, figures' facts, records."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import event, exc, insert, text
from sqlalchemy.engine import Engine

from sla.figures import LeadFacts, Stint
from sla.lead import LeadStatus
from storage.engine import transaction
from storage.models import Assignment, Attempt, Breach, Lead
from storage.records import LeadRecord
from storage.repositories import leads
from tests.storage.conftest import T0, add_leads, fresh_session, is_pg, lead_row, pg_only

NOW = T0 + timedelta(hours=3)


def _claimed_ids(engine: Engine, *, now=NOW, limit: int = 100) -> list[int]:
    with transaction(engine) as session:
        return [lead.id or 0 for lead in leads.claim_due(session=session, now=now, limit=limit)]


# --- claim_due ---------------------------------------------------------------------------


def test_claim_due_returns_only_due_leads_earliest_first(engine):
    ids = add_leads(
        engine,
        lead_row(next_check_at=NOW - timedelta(minutes=1)),  # 0 due
        lead_row(next_check_at=NOW + timedelta(microseconds=1)),  # 1 not yet
        lead_row(next_check_at=NOW),  # 2 due exactly now
        lead_row(next_check_at=None),  # 3 never
        lead_row(next_check_at=NOW - timedelta(days=2)),  # 4 long overdue
        lead_row(next_check_at=NOW + timedelta(days=1)),  # 5 tomorrow
    )
    assert _claimed_ids(engine) == [ids[4], ids[0], ids[2]]


def test_claim_due_breaks_ties_by_id_and_honours_the_limit(engine):
    ids = add_leads(engine, *(lead_row(next_check_at=NOW - timedelta(hours=1)) for _ in range(5)))
    assert _claimed_ids(engine, limit=3) == ids[:3]
    assert _claimed_ids(engine, limit=0) == []


def test_claim_due_compares_instants_across_zones(engine):
    from zoneinfo import ZoneInfo

    new_york = ZoneInfo("America/New_York")
    [due, later] = add_leads(
        engine,
        lead_row(next_check_at=(NOW - timedelta(seconds=1)).astimezone(new_york)),
        lead_row(next_check_at=(NOW + timedelta(seconds=1)).astimezone(new_york)),
    )
    assert _claimed_ids(engine, now=NOW.astimezone(ZoneInfo("Asia/Tokyo"))) == [due]
    assert later not in _claimed_ids(engine)


def test_concurrent_claimers_skip_each_others_locked_rows(engine):
    """Two replicas sweeping at once get disjoint leads (FOR UPDATE SKIP LOCKED)."""
    pg_only(engine, "SQLite has no row locks; its claim is serialised by the write lock")
    ids = add_leads(
        engine, *(lead_row(next_check_at=NOW - timedelta(minutes=10 - i)) for i in range(10))
    )
    with fresh_session(engine) as first, fresh_session(engine) as second:
        a = [lead.id for lead in leads.claim_due(session=first, now=NOW, limit=4)]
        b = [lead.id for lead in leads.claim_due(session=second, now=NOW, limit=4)]
        assert a == ids[:4]
        assert b == ids[4:8]
        first.rollback()  # first replica crashes: its leads become claimable again
        with fresh_session(engine) as third:
            c = [lead.id for lead in leads.claim_due(session=third, now=NOW, limit=10)]
            third.rollback()
        second.rollback()
        assert c == ids[:4] + ids[8:]


def test_a_claimed_lead_is_locked_against_plain_updates_until_commit(engine):
    pg_only(engine, "row locks")
    [lead_id] = add_leads(engine, lead_row(next_check_at=NOW - timedelta(minutes=1)))
    with fresh_session(engine) as first, fresh_session(engine) as second:
        assert [lead.id for lead in leads.claim_due(session=first, now=NOW, limit=1)] == [lead_id]
        second.execute(text("SET LOCAL lock_timeout = '200ms'"))
        with pytest.raises(exc.OperationalError, match="lock timeout"):
            leads.get(session=second, lead_id=lead_id, for_update=True)
        second.rollback()
        first.rollback()


# --- index use ---------------------------------------------------------------------------


def _fill(engine: Engine, *, future: int, due: int) -> None:
    rows = [
        {
            "external_id": f"bulk-{i}",
            "status": "assigned",
            "score": 80.0,
            "fields": {},
            "received_at": T0,
            "qualified_at": T0,
            "assignee": f"U0REP{i % 7}",
            "next_check_at": (NOW - timedelta(seconds=i + 1))
            if i < due
            else NOW + timedelta(minutes=i),
        }
        for i in range(future + due)
    ]
    with transaction(engine) as session:
        session.execute(insert(Lead), rows)


def _capture_claim_sql(engine: Engine) -> tuple[str, object]:
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        if "FROM leads" in statement and "next_check_at" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with transaction(engine) as session:
            leads.claim_due(session=session, now=NOW, limit=500)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(seen) == 1
    return seen[0]


def test_claim_due_walks_the_next_check_at_index(engine):
    _fill(engine, future=5000, due=20)
    statement, parameters = _capture_claim_sql(engine)
    with engine.connect() as connection:
        if is_pg(engine):
            connection.exec_driver_sql("ANALYZE leads")
            plan = "\n".join(
                row[0]
                for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)  # type: ignore[arg-type]
            )
            # An Index Scan or, once statistics say few rows are due, a Bitmap Index Scan.
            assert "Index Scan" in plan and "ix_leads_next_check_at" in plan, plan
            assert "Seq Scan" not in plan, plan
        else:
            connection.exec_driver_sql("ANALYZE")
            plan = "\n".join(
                row[-1]
                for row in connection.exec_driver_sql(
                    f"EXPLAIN QUERY PLAN {statement}",
                    parameters,  # type: ignore[arg-type]
                )
            )
            assert "USING INDEX ix_leads_next_check_at" in plan, plan
            assert "USE TEMP B-TREE" not in plan, plan  # the index already gives the order
    assert "FOR UPDATE SKIP LOCKED" in statement if is_pg(engine) else True


# --- open_counts -------------------------------------------------------------------------


def test_open_counts_counts_open_leads_per_assignee(engine):
    add_leads(
        engine,
        lead_row(assignee="U0A", status="assigned"),
        lead_row(assignee="U0A", status="working"),
        lead_row(assignee="U0A", status="connected"),
        lead_row(assignee="U0A", status="converted"),
        lead_row(assignee="U0B", status="working"),
        lead_row(assignee="U0B", status="disqualified"),
        lead_row(assignee="U0B", status="rejected"),
        lead_row(assignee="U0C", status="converted"),
        lead_row(assignee=None, status="unassigned"),
        lead_row(assignee=None, status="unqualified"),
    )
    with transaction(engine) as session:
        assert leads.open_counts(session=session) == {"U0A": 3, "U0B": 1}


def test_open_counts_of_an_empty_database_is_empty(engine):
    with transaction(engine) as session:
        assert leads.open_counts(session=session) == {}


# --- facts_between -----------------------------------------------------------------------


def test_facts_between_reads_leads_qualified_in_the_half_open_period(engine):
    start, end = T0, T0 + timedelta(days=1)
    hour = timedelta(hours=1)
    before, first, _, at_end = add_leads(
        engine,
        lead_row(qualified_at=start - timedelta(microseconds=1)),
        lead_row(qualified_at=start, status="working", first_contact_at=start + hour),
        lead_row(qualified_at=end - timedelta(seconds=1), status="unqualified", assignee=None),
        lead_row(qualified_at=end),
    )
    with transaction(engine) as session:
        for lead_id in (before, first, at_end):
            session.add(Attempt(lead_id=lead_id, channel="call", at=start + hour, by="U0REP1"))
        session.add(Attempt(lead_id=first, channel="email", at=start, by="U0REP1"))
        session.add(
            Breach(
                lead_id=first,
                kind="follow_up",
                deadline=start,
                recorded_at=start,
                assignee="U0REP2",
            )
        )
        session.add(Breach(lead_id=before, kind="first_contact", deadline=start, recorded_at=start))
        for assignee, since, until in (
            ("U0REP2", start, start + hour),
            ("U0REP1", start + hour, None),
        ):
            session.add(
                Assignment(
                    lead_id=first, assignee=assignee, assigned_at=since, ended_at=until, reason="r"
                )
            )
    with transaction(engine) as session:
        facts = leads.facts_between(session=session, start=start, end=end)
    by_status = {f.status: f for f in facts}
    assert len(facts) == 2
    assert by_status[LeadStatus.WORKING] == LeadFacts(
        status=LeadStatus.WORKING,
        qualified_at=start,
        first_contact_due=T0 + timedelta(hours=4),
        first_contact_at=start + hour,
        assignee="U0REP1",
        attempt_times=(start, start + hour),
        breaches=(("follow_up", "U0REP2"),),
        stints=(Stint("U0REP2", start, start + hour), Stint("U0REP1", start + hour, None)),
    )
    unqualified = by_status[LeadStatus.UNQUALIFIED]
    assert (unqualified.breaches, unqualified.attempt_times, unqualified.stints) == ((), (), ())
    assert unqualified.qualified_at.tzinfo is not None


def test_facts_between_an_empty_period_is_empty(engine):
    add_leads(engine, lead_row())
    with transaction(engine) as session:
        assert leads.facts_between(session=session, start=NOW, end=NOW) == []


# --- load_record -------------------------------------------------------------------------


def test_load_record_is_a_frozen_snapshot_with_ordered_history(engine):
    [lead_id] = add_leads(
        engine, lead_row(fields={"utm": "x", "n": [1, 2]}, company="Acme", status="working")
    )
    with transaction(engine) as session:
        session.add_all(
            [
                Attempt(lead_id=lead_id, channel="email", at=T0 + timedelta(hours=2), by="U0B"),
                Attempt(
                    lead_id=lead_id,
                    channel="call",
                    at=T0 + timedelta(hours=1),
                    by="U0A",
                    outcome="no-answer",
                    note="left no message",
                ),
                Attempt(lead_id=lead_id, channel="sms", at=T0 + timedelta(hours=2), by="U0C"),
                Breach(
                    lead_id=lead_id,
                    kind="follow_up",
                    deadline=T0 + timedelta(days=2),
                    recorded_at=T0 + timedelta(days=2),
                ),
                Breach(
                    lead_id=lead_id,
                    kind="first_contact",
                    deadline=T0 + timedelta(hours=4),
                    recorded_at=T0 + timedelta(hours=5),
                    assignee="U0A",
                ),
            ]
        )
        first = Assignment(
            lead_id=lead_id,
            assignee="U0A",
            assigned_at=T0,
            reason="round robin",
            ended_at=T0 + timedelta(hours=5),
        )
        session.add(first)
        session.flush()
        session.add(
            Assignment(
                lead_id=lead_id,
                assignee="U0B",
                assigned_at=T0 + timedelta(hours=5),
                assigned_by="U0MGR",
                reason="breach",
                dm_channel="D1",
                dm_ts="1.2",
            )
        )
    with transaction(engine) as session:
        record = leads.load_record(session=session, lead_id=lead_id)
    assert isinstance(record, LeadRecord)
    assert record.id == f"lead-{lead_id}" and record.status is LeadStatus.WORKING
    assert record.fields == {"utm": "x", "n": [1, 2]}
    assert record.display_name.endswith("(Acme)")
    assert [(a.channel, a.by) for a in record.attempts] == [
        ("call", "U0A"),
        ("email", "U0B"),
        ("sms", "U0C"),
    ]
    assert (
        record.attempts[0].outcome == "no-answer" and record.attempts[0].note == "left no message"
    )
    assert [b.kind for b in record.breaches] == ["first_contact", "follow_up"]
    assert [(a.assignee, a.ended_at is None) for a in record.assignments] == [
        ("U0A", False),
        ("U0B", True),
    ]
    assert record.assignments[1].dm_ts == "1.2" and record.assignments[1].assigned_by == "U0MGR"
    assert all(a.at.tzinfo is not None for a in record.attempts)
    assert [f.channel.value for f in record.attempt_facts] == ["call", "email", "sms"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.status = LeadStatus.CONVERTED  # type: ignore[misc]
    assert isinstance(record.attempts, tuple) and isinstance(record.assignments, tuple)


def test_load_record_of_a_missing_lead_is_none(engine):
    with transaction(engine) as session:
        assert leads.load_record(session=session, lead_id=999) is None


def test_open_counts_with_caps_count_each_rep_only_up_to_the_cap(engine):
    add_leads(
        engine,
        *(lead_row(assignee="U0A", status="working") for _ in range(5)),
        lead_row(assignee="U0B", status="assigned"),
        lead_row(assignee="U0B", status="converted"),
        lead_row(assignee="U0C", status="working"),
    )
    with transaction(engine) as session:
        capped = leads.open_counts(session=session, caps={"U0A": 3, "U0B": 3, "U0D": 3})
        assert capped == {"U0A": 3, "U0B": 1}  # U0C is not asked about; U0D has none
        assert leads.open_counts(session=session) == {"U0A": 5, "U0B": 1, "U0C": 1}
