"""Storage fixtures: a migrated engine per test (SQLite, and PostgreSQL when configured) and
small factories for rows, so each test states only what it is about."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.engine import make_engine, transaction
from storage.migrate import upgrade
from storage.models import Lead

T0 = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # a Monday, 10:00 in New York

_numbers = count(1)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A fresh database brought to the head revision."""
    built = make_engine(database_url)
    upgrade(built)
    try:
        yield built
    finally:
        built.dispose()


def is_pg(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def pg_only(engine: Engine, why: str) -> None:
    if not is_pg(engine):
        pytest.skip(f"PostgreSQL only: {why}")


def lead_row(**overrides: Any) -> Lead:
    """An assigned, open lead qualified at T0; any column can be overridden."""
    n = next(_numbers)
    values: dict[str, Any] = {
        "external_id": f"ext-{n}",
        "status": "assigned",
        "score": 80.0,
        "name": f"Lead {n}",
        "received_at": T0,
        "qualified_at": T0,
        "assignee": "U0REP1",
        "window_opened_at": T0,
        "first_contact_due": T0 + timedelta(hours=4),
        "next_check_at": T0 + timedelta(hours=2),
    }
    values.update(overrides)
    return Lead(**values)


def add_leads(engine: Engine, *rows: Lead) -> list[int]:
    """Commit the rows and return their ids in order."""
    with transaction(engine) as session:
        for row in rows:
            session.add(row)
        session.flush()
        return [row.id or 0 for row in rows]


def fresh_session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)
