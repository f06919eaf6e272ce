"""`storage.migrate.upgrade`: builds the schema from nothing, is idempotent, matches the models."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables)
from storage.engine import make_engine, transaction
from storage.migrate import upgrade
from storage.models import Rep

HEAD = "0003"

TABLES = {
    "leads",
    "assignments",
    "attempts",
    "breaches",
    "timer_firings",
    "notifications",
    "processed_requests",
    "reps",
}


def _revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def test_models_declare_exactly_the_expected_tables():
    assert set(SQLModel.metadata.tables) == TABLES


def test_upgrade_on_an_empty_database_creates_every_table(database_url):
    engine = make_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) == set()
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
        assert _revision(engine) == HEAD
    finally:
        engine.dispose()


def test_upgrade_twice_is_a_no_op_that_keeps_data(engine):
    with transaction(engine) as session:
        session.add(Rep(slack_id="U0KEEP", turn=2.5))
    upgrade(engine)
    assert _revision(engine) == HEAD
    assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    with transaction(engine) as session:
        kept = session.get(Rep, "U0KEEP")
        assert kept is not None and kept.turn == 2.5


def test_migration_matches_the_models(engine):
    """Autogenerate against the migrated database finds nothing to add, drop or alter."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_upgrading_from_0001_keeps_the_outbox_and_starts_every_row_at_generation_0(database_url):
    engine = make_engine(database_url)
    try:
        upgrade(engine, "0001")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO notifications (dedupe_key, kind, recipient, status, tries,"
                    " next_attempt_at, created_at)"
                    " VALUES ('card:1:new', 'card', 'U0REP1', 'sent', 1,"
                    " '2026-12-07 15:00:00', '2026-12-07 15:00:00')"
                )
            )
        upgrade(engine)
        assert _revision(engine) == HEAD
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT dedupe_key, generation FROM notifications"))
            assert rows.all() == [("card:1:new", 0)]
    finally:
        engine.dispose()


def test_a_failed_upgrade_leaves_nothing_half_built(database_url, monkeypatch):
    """The whole migration is one transaction on both backends."""
    from alembic.operations import Operations

    engine = make_engine(database_url)
    real = Operations.create_table
    calls = {"n": 0}

    def create_table_then_fail(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Operations, "create_table", create_table_then_fail)
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            upgrade(engine)
        assert inspect(engine).get_table_names() == []
        monkeypatch.undo()
        upgrade(engine)
        assert _revision(engine) == HEAD
    finally:
        engine.dispose()


def test_indexes_the_hot_queries_rely_on_exist(engine):
    inspector = inspect(engine)
    leads = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("leads")}
    assert leads["ix_leads_next_check_at"] == ["next_check_at"]
    assert leads["ix_leads_assignee_status"] == ["assignee", "status"]
    outbox = {ix["name"]: ix["column_names"] for ix in inspector.get_indexes("notifications")}
    assert outbox["ix_notifications_due"] == ["status", "next_attempt_at"]


def test_processes_upgrading_a_fresh_database_together_all_succeed(database_url):
    """`serve` and a cron `tick` may start at once on a new database; both migrate on start.

    PostgreSQL serialises them on an advisory lock, SQLite on its write lock.
    """
    engine = make_engine(database_url)
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def run() -> None:
        start.wait(timeout=30)
        try:
            upgrade(engine)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        assert _revision(engine) == HEAD
        assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        engine.dispose()
