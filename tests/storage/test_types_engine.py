"""`UTCDateTime` round-trips and `make_engine`'s per-backend set-up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select

from storage.engine import make_engine, normalize_url, transaction
from storage.models import Attempt, Rep
from storage.types import UTCDateTime
from tests.storage.conftest import add_leads, lead_row

INSTANTS = [
    datetime(2026, 12, 7, 16, 0, 0, 123456, tzinfo=UTC),
    datetime(2026, 12, 7, 11, 0, 0, 1, tzinfo=ZoneInfo("America/New_York")),
    datetime(2026, 3, 8, 3, 30, 0, 999999, tzinfo=ZoneInfo("America/New_York")),  # just past DST
    datetime(2026, 6, 1, 23, 59, 59, 500000, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(2026, 1, 1, 0, 0, 0, 0, tzinfo=timezone(timedelta(hours=-9, minutes=-30))),
    datetime(2026, 10, 25, 1, 30, 0, 42, tzinfo=ZoneInfo("Europe/London")),  # ambiguous hour
]


@pytest.mark.parametrize("instant", INSTANTS, ids=lambda t: t.isoformat())
def test_aware_datetimes_come_back_equal_and_in_utc(engine, instant):
    with transaction(engine) as session:
        session.add(Rep(slack_id="U0TZ", away=True, away_until=instant))
    with transaction(engine) as session:
        back = session.get(Rep, "U0TZ")
        assert back is not None and back.away_until is not None
        # Compare against the UTC form: PEP 495 makes `==` across zones False for a time
        # in a fold (the London case), even when both name the same instant.
        assert back.away_until == instant.astimezone(UTC)
        assert back.away_until.timestamp() == instant.timestamp()
        assert back.away_until.tzinfo is UTC
        assert back.away_until.microsecond == instant.microsecond


def test_comparisons_in_sql_use_the_instant_not_the_wall_clock(engine):
    """A value written in New York compares against a bound value in another zone by instant."""
    new_york = datetime(2026, 12, 7, 11, 0, tzinfo=ZoneInfo("America/New_York"))  # 16:00Z
    with transaction(engine) as session:
        session.add(Rep(slack_id="U0CMP", away_until=new_york))
    just_before = datetime(
        2026, 12, 7, 21, 29, 59, 999999, tzinfo=timezone(timedelta(hours=5, minutes=30))
    )
    just_after = datetime(2026, 12, 7, 16, 0, 0, 1, tzinfo=UTC)
    with transaction(engine) as session:
        assert session.exec(
            select(Rep.slack_id).where(col(Rep.away_until) > just_before)
        ).all() == ["U0CMP"]
        assert (
            session.exec(select(Rep.slack_id).where(col(Rep.away_until) > just_after)).all() == []
        )


def test_none_round_trips(engine):
    with transaction(engine) as session:
        session.add(Rep(slack_id="U0NONE", away_until=None))
    with transaction(engine) as session:
        back = session.get(Rep, "U0NONE")
        assert back is not None and back.away_until is None


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "pg"])
def test_naive_datetime_is_rejected_by_the_type(dialect):
    with pytest.raises(ValueError, match="naive datetime"):
        UTCDateTime().process_bind_param(datetime(2026, 12, 7, 16, 0), dialect)


def test_naive_datetime_is_rejected_on_write_and_nothing_is_written(engine):
    with pytest.raises((ValueError, exc.StatementError)) as raised:
        with transaction(engine) as session:
            session.add(Rep(slack_id="U0NAIVE", away_until=datetime(2026, 12, 7, 16, 0)))
    error = raised.value
    assert isinstance(error, ValueError) or isinstance(error.orig, ValueError)  # type: ignore[union-attr]
    with transaction(engine) as session:
        assert session.get(Rep, "U0NAIVE") is None


def test_naive_datetime_is_rejected_in_a_query(engine):
    with pytest.raises((ValueError, exc.StatementError)):
        with transaction(engine) as session:
            session.exec(select(Rep).where(col(Rep.away_until) < datetime(2026, 12, 7))).all()


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("postgresql://lead@db.example:5432/leadclock", "postgresql+psycopg"),
        ("postgres://lead@db.example/leadclock", "postgresql+psycopg"),
        ("postgresql+psycopg://lead@db.example/leadclock", "postgresql+psycopg"),
        ("sqlite:///leadclock.db", "sqlite"),
    ],
)
def test_normalize_url_chooses_psycopg_3_for_postgresql(given, driver):
    assert normalize_url(given).split("://")[0] == driver


def test_normalize_url_keeps_the_password():
    assert normalize_url("postgresql://u:s%40cret@h/db") == "postgresql+psycopg://u:s%40cret@h/db"


def test_make_engine_uses_psycopg_for_a_plain_postgresql_url():
    engine = make_engine("postgresql://postgres@127.0.0.1:5432/test")  # never connects here
    try:
        assert engine.dialect.name == "postgresql"
        assert engine.dialect.driver == "psycopg"
    finally:
        engine.dispose()


def test_every_connection_has_sqlite_foreign_keys_on(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL always enforces foreign keys")
    connections = [engine.connect() for _ in range(3)]  # several pooled connections
    try:
        for connection in connections:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        for connection in connections:
            connection.close()


def test_an_attempt_for_a_missing_lead_is_refused(engine):
    with pytest.raises(exc.IntegrityError):
        with transaction(engine) as session:
            session.add(
                Attempt(
                    lead_id=424242, channel="call", at=datetime(2026, 12, 7, tzinfo=UTC), by="U0"
                )
            )
            session.flush()
    [lead_id] = add_leads(engine, lead_row())
    with transaction(engine) as session:  # the same insert for a real lead is fine
        session.add(
            Attempt(lead_id=lead_id, channel="call", at=datetime(2026, 12, 7, tzinfo=UTC), by="U0")
        )


def test_a_transaction_is_one_unit_even_when_it_uses_savepoints(engine):
    """`sweep` checks each lead in a SAVEPOINT; releasing one must not commit the unit.

    (pysqlite starts no transaction before a SAVEPOINT, and releasing the outermost savepoint
    is a COMMIT in SQLite, unless the unit began the transaction itself.)
    """
    with pytest.raises(RuntimeError, match="after the savepoint"):
        with transaction(engine) as session:
            with session.begin_nested():
                session.add(Rep(slack_id="U0SAVEPOINT"))
            raise RuntimeError("the caller fails after the savepoint was released")
    with transaction(engine) as session:
        assert session.get(Rep, "U0SAVEPOINT") is None


def test_a_reading_unit_never_waits_for_a_writer(engine):
    """Slash commands that only read must answer while a scheduler pass holds SQLite's lock."""
    if engine.dialect.name == "sqlite":  # a short busy timeout: waiting would fail, not hang
        engine.pool.dispose()
        event.listen(
            engine, "connect", lambda conn, _: conn.execute("PRAGMA busy_timeout=200"), insert=False
        )
    with transaction(engine) as writer:
        writer.add(Rep(slack_id="U0WRITER"))
        writer.flush()
        with transaction(engine, write=False) as reader:
            assert reader.get(Rep, "U0WRITER") is None  # the writer has not committed yet
            assert reader.exec(select(Rep)).all() == []
    with transaction(engine, write=False) as reader:
        assert reader.get(Rep, "U0WRITER") is not None


def test_a_reading_unit_sees_one_snapshot_throughout(engine):
    with transaction(engine, write=False) as reader:
        assert reader.exec(select(Rep)).all() == []
        with transaction(engine) as writer:  # another connection commits meanwhile
            writer.add(Rep(slack_id="U0LATER"))
        if engine.dialect.name == "sqlite":  # PostgreSQL's READ COMMITTED sees it, by design
            assert reader.exec(select(Rep)).all() == []
