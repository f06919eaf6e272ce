"""Shared fixtures: a fresh, migrated database on SQLite and (when configured) PostgreSQL.

Set LEADCLOCK_TEST_PG_URL (`.ci/run` does) to run every storage-touching test on PostgreSQL
too. Each PostgreSQL test gets its own schema, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from storage.engine import make_engine, normalize_url

PG_URL = os.environ.get("LEADCLOCK_TEST_PG_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)] if PG_URL else ["sqlite"]


def _pg_schema_url(schema: str) -> str:
    assert PG_URL is not None
    url = make_url(normalize_url(PG_URL))
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL (not yet migrated) on each configured backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'leadclock.db'}"
        return
    assert PG_URL is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# Sessions queued behind `holder`: waiting on its locks, or on a session that waits on them.
_QUEUED = text(
    """
    WITH RECURSIVE queued(pid) AS (
        SELECT pid FROM pg_stat_activity WHERE :holder = ANY(pg_blocking_pids(pid))
        UNION
        SELECT a.pid FROM pg_stat_activity a JOIN queued q ON q.pid = ANY(pg_blocking_pids(a.pid))
    )
    SELECT count(*) FROM queued
    """
)


def wait_queued_behind(engine: Engine, holder: int, n: int, *, timeout: float = 10) -> None:
    """Return once `n` PostgreSQL sessions wait behind backend `holder`'s locks.

    This is how a race test knows that its contenders have reached the point it holds them
    at, instead of sleeping and hoping: it polls `pg_blocking_pids`, a fact, not a duration.
    """
    deadline = time.monotonic() + timeout
    with engine.connect() as observer:
        while observer.execute(_QUEUED, {"holder": holder}).scalar_one() < n:
            assert time.monotonic() < deadline, f"fewer than {n} sessions queued behind {holder}"
            observer.rollback()  # the next look sees pg_stat_activity afresh
            time.sleep(0.01)
