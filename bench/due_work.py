"""Due-work cost against the number of open leads: a sweep costs what is due, not what is open.

Run `python bench/due_work.py [--pg postgresql://user@host:5432/db]` from the repository root.
For N = 1,000, 10,000 and 100,000 open leads whose next check is in the future, plus a fixed 50
that are due now (first contact breached, an owner and a DM card each), it times:

- `claim`: `storage.repositories.leads.claim_due(now, limit=500)`, the scheduler's query;
- `sweep`: one whole `bot.flows.sweep.sweep` pass over those 50 (breach rows, outbox
  notifications, card refreshes, rescheduling), with a policy from `sla.policy_file.parse_policy`;
- `no index`: the same `claim_due` with its index dropped (and restored by the rollback), to
  show what the index saves.

Every timed unit of work is rolled back, so each repetition sees the same 50 due leads. The
database grows in place from one N to the next (bulk inserts), and is ANALYZEd before timing.
The PostgreSQL run uses a throwaway schema that is dropped at the end. About 30 s in all.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from sqlalchemy import event, insert, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from bot.flows.sweep import sweep
from sla.policy import Policy
from sla.policy_file import parse_policy
from storage.engine import make_engine, normalize_url
from storage.migrate import upgrade
from storage.models import Assignment, Lead
from storage.repositories import leads

SIZES = (1_000, 10_000, 100_000)
DUE = 50
LIMIT = 500
NOW = datetime(2026, 12, 7, 18, 0, tzinfo=UTC)  # Monday 13:00 in New York
REPS = ("U0REP1", "U0REP2", "U0REP3")
CHUNK = 20_000

POLICY_TOML = """
[sla]
first_contact_within = "4h"
reminders = ["50%", "15m"]

[hours]
timezone = "America/New_York"

[slack]
sla_channel = "C0SLA"
managers = ["U0MGR"]

"""
POLICY_TOML += "".join(f'[[reps]]\nslack_id = "{rep}"\nmax_open = 1000000\n' for rep in REPS)


def lead_values(i: int, *, due: bool, deadline: Callable[[datetime], datetime]) -> dict[str, Any]:
    """A lead assigned at qualification; due ones are past their first-contact deadline."""
    if due:
        qualified = NOW - timedelta(days=4, minutes=i)  # Thursday: due Thursday 17:00 NY
        next_check = NOW - timedelta(seconds=i + 1)
    else:
        qualified = NOW - timedelta(minutes=i % 90)
        next_check = NOW + timedelta(minutes=1 + i % 5000)
    return {
        "external_id": f"{'due' if due else 'open'}-{i}",
        "status": "assigned",
        "score": 80.0,
        "name": f"Lead {i}",
        "company": "Acme",
        "fields": {},
        "received_at": qualified,
        "qualified_at": qualified,
        "assignee": REPS[i % len(REPS)],
        "window_opened_at": qualified,
        "first_contact_due": deadline(qualified),
        "next_check_at": next_check,
    }


def deadlines(policy: Policy) -> Callable[[datetime], datetime]:
    """First-contact deadline by qualification time, memoised (open leads share 90 minutes)."""
    known: dict[datetime, datetime] = {}

    def deadline(qualified: datetime) -> datetime:
        if qualified not in known:
            known[qualified] = policy.calendar.add(qualified, policy.sla.first_contact_within)
        return known[qualified]

    return deadline


def add_open_leads(engine: Engine, start: int, stop: int, policy: Policy) -> None:
    """Bulk-insert future (not yet due) leads, in chunks of one executemany each."""
    deadline = deadlines(policy)
    for low in range(start, stop, CHUNK):
        rows = [
            lead_values(i, due=False, deadline=deadline) for i in range(low, min(stop, low + CHUNK))
        ]
        with Session(engine) as session:
            session.execute(insert(Lead), rows)
            session.commit()


def add_due_leads(engine: Engine, policy: Policy) -> None:
    """The fixed due set: each has an owner whose DM card the sweep will refresh."""
    deadline = deadlines(policy)
    with Session(engine) as session:
        for i in range(DUE):
            lead = Lead(**lead_values(i, due=True, deadline=deadline))
            session.add(lead)
            session.flush()
            session.add(
                Assignment(
                    lead_id=lead.id or 0,
                    assignee=lead.assignee or REPS[0],
                    assigned_at=lead.qualified_at,
                    reason="round robin",
                    dm_channel="D0BENCH",
                    dm_ts=f"1765000000.{i:06d}",
                )
            )
        session.commit()


def analyze(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE leads" if is_pg(engine) else "ANALYZE")


def is_pg(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Session]:
    """A unit of work that is undone at the end, so every repetition sees the same due set.

    On SQLite the transaction is begun explicitly: pysqlite would otherwise leave the sweep's
    first SAVEPOINT to start it, and releasing that savepoint would commit.
    """
    with Session(engine, expire_on_commit=False) as session:
        if not is_pg(engine):
            session.connection().exec_driver_sql("BEGIN")
        try:
            yield session
        finally:
            session.rollback()


def median_ms(run: Callable[[], object], repeat: int) -> float:
    run()  # warm-up: statement caches, pool, page cache
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def time_claim(engine: Engine, repeat: int) -> tuple[float, int]:
    claimed = 0

    def run() -> None:
        nonlocal claimed
        with rolled_back(engine) as session:
            claimed = len(leads.claim_due(session=session, now=NOW, limit=LIMIT))

    return median_ms(run, repeat), claimed


def time_claim_without_index(engine: Engine, repeat: int) -> float:
    """The same `claim_due`, with `ix_leads_next_check_at` dropped inside the rolled-back unit."""

    def run() -> None:
        with rolled_back(engine) as session:
            session.execute(text("DROP INDEX ix_leads_next_check_at"))
            started = time.perf_counter()
            leads.claim_due(session=session, now=NOW, limit=LIMIT)
            timings.append((time.perf_counter() - started) * 1000)

    timings: list[float] = []
    for _ in range(repeat):
        run()
    return statistics.median(timings)


def time_sweep(engine: Engine, policy: Policy, repeat: int) -> tuple[float, str]:
    summary = ""

    def run() -> None:
        nonlocal summary
        with rolled_back(engine) as session:
            report = sweep(session, policy=policy, now=NOW, limit=LIMIT)
            session.flush()
            summary = (
                f"{report.checked} checked, {report.breaches} breaches, {report.failed} failed"
            )

    return median_ms(run, repeat), summary


_captured: dict[str, tuple[str, Any]] = {}


def claim_sql(engine: Engine) -> tuple[str, Any]:
    """The SQL `claim_due` really sends, captured once per backend."""
    if engine.dialect.name in _captured:
        return _captured[engine.dialect.name]

    def record(_c: Any, _cur: Any, statement: str, parameters: Any, _ctx: Any, _m: Any) -> None:
        if "FROM leads" in statement and "next_check_at" in statement:
            _captured.setdefault(engine.dialect.name, (statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with rolled_back(engine) as session:
            leads.claim_due(session=session, now=NOW, limit=LIMIT)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return _captured[engine.dialect.name]


def plan(engine: Engine) -> str:
    statement, parameters = claim_sql(engine)
    prefix = "EXPLAIN" if is_pg(engine) else "EXPLAIN QUERY PLAN"
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(f"{prefix} {statement}", parameters).all()
    lines = [str(row[0] if is_pg(engine) else row[-1]).strip() for row in rows]
    scans = [line.split("  (cost")[0] for line in lines if "Scan" in line or "SEARCH" in line]
    return "; ".join(scans)


def run_backend(label: str, engine: Engine, policy: Policy) -> list[tuple[Any, ...]]:
    upgrade(engine)
    add_due_leads(engine, policy)
    results = []
    have = 0
    for size in SIZES:
        started = time.perf_counter()
        add_open_leads(engine, have, size, policy)
        have = size
        analyze(engine)
        fill = time.perf_counter() - started
        claim, claimed = time_claim(engine, repeat=25)
        unindexed = time_claim_without_index(engine, repeat=7)
        swept, summary = time_sweep(engine, policy, repeat=3)
        results.append((label, size, claimed, claim, swept, unindexed, fill, summary))
        print(
            f"  {label:<10} N={size:>7,}: filled in {fill:4.1f} s, claim {claim:6.2f} ms,"
            f" sweep {swept:7.1f} ms ({summary})",
            flush=True,
        )
    print(f"  {label:<10} plan at N={have:,}: {plan(engine)}", flush=True)
    return results


@contextmanager
def pg_schema(url: str) -> Iterator[str]:
    """A throwaway schema on the given server, as a URL whose search_path points at it."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        scoped = make_url(normalize_url(url)).update_query_dict(
            {"options": f"-csearch_path={schema}"}
        )
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", metavar="URL", help="also run on this PostgreSQL database")
    args = parser.parse_args()
    policy = parse_policy(POLICY_TOML, source="bench policy")
    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            results += run_backend("sqlite", engine, policy)
        finally:
            engine.dispose()
    if args.pg:
        with pg_schema(args.pg) as url:
            engine = make_engine(url)
            try:
                results += run_backend("postgresql", engine, policy)
            finally:
                engine.dispose()

    print()
    print(f"due leads: {DUE} · claim limit {LIMIT} · median of 25 claims, 7 unindexed, 3 sweeps")
    print(
        f"{'backend':<11}{'open N':>9}{'claimed':>9}{'claim ms':>10}{'sweep ms':>10}"
        f"{'no index ms':>13}{'claim vs 1k':>13}"
    )
    base: dict[str, float] = {}
    for label, size, claimed, claim, swept, unindexed, _fill, _summary in results:
        base.setdefault(label, claim)
        print(
            f"{label:<11}{size:>9,}{claimed:>9}{claim:>10.2f}{swept:>10.1f}"
            f"{unindexed:>13.2f}{claim / base[label]:>12.2f}x"
        )
    print(f"\ntotal {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
