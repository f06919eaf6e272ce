"""Engine construction and the transaction scope every caller uses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

DEFAULT_DATABASE_URL = "sqlite:///leadclock.db"


def normalize_url(url: str) -> str:
    """Let `postgresql://user@host/db` work as written by choosing the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str = DEFAULT_DATABASE_URL) -> Engine:
    """Build the one engine a process uses.

    SQLite gets foreign keys switched on (off by default there), a busy timeout so concurrent
    writers from the server threads and the scheduler wait instead of failing, and WAL so
    readers never block the writer.
    """
    normalized = normalize_url(url)
    if normalized.startswith("sqlite"):
        engine = create_engine(normalized, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    return create_engine(normalized, pool_pre_ping=True)


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


@contextmanager
def transaction(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """One unit of work: commit when the block ends normally, roll back when it raises.

    Repositories only flush; the caller that opened the transaction decides when work is done.

    On SQLite a unit that writes takes the write lock up front (`BEGIN IMMEDIATE`), waiting out
    `busy_timeout` if another connection holds it. Left to pysqlite, the transaction began
    lazily (at a SAVEPOINT or the first write), so a unit that read and then wrote — a sweep,
    an outbox claim — had to upgrade a stale read snapshot while another connection wrote, and
    SQLite answers that with an immediate "database is locked" instead of waiting. A unit with
    `write=False` only reads: a deferred BEGIN gives it one snapshot for all its queries and
    takes no write lock, so under WAL it never waits for a writer.
    """
    with Session(engine, expire_on_commit=False) as session:
        try:
            if engine.dialect.name == "sqlite":
                # a reader still BEGINs: pysqlite would run each SELECT in its own snapshot
                session.connection().exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
