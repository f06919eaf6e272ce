"""Insert-if-absent, the primitive that makes work happen once across replicas."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel


def upsertable_insert(
    session: Session, model: type[SQLModel], **values: Any
) -> postgresql.Insert | sqlite.Insert:
    """An INSERT in the session's dialect, which offers `ON CONFLICT` on both backends."""
    table = model.__table__  # type: ignore[attr-defined]
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(table).values(**values)


def insert_once(session: Session, model: type[SQLModel], **values: Any) -> bool:
    """Insert a row unless one with the same unique key exists; True when this call inserted it.

    `ON CONFLICT DO NOTHING` decides inside the database, so two processes racing for the same
    key cannot both win, and the loser's transaction stays usable.
    """
    statement = upsertable_insert(session, model, **values).on_conflict_do_nothing()
    # SQLAlchemy keeps `rowcount` for INSERT only when asked; without this it is -1 on
    # psycopg, which `bool()` would read as "inserted" on every call.
    result = session.execute(statement, execution_options={"preserve_rowcount": True})
    return bool(result.rowcount)  # type: ignore[attr-defined]
