"""The timer: every replica runs the same pass; database claims make that safe."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from bot.courier import Courier
from bot.flows.digests import enqueue_due_digests
from bot.flows.sweep import SweepReport, sweep
from bot.runtime import Runtime

log = logging.getLogger(__name__)

TICK_SECONDS = 30
SWEEP_BATCH = 50
"""Leads per sweep transaction: at worst ~20 ms each (a breach), so a batch holds SQLite's single
write lock for about a second and a slash command arriving meanwhile still answers within
Slack's three seconds."""


@dataclass(frozen=True)
class TickReport:
    sweep: SweepReport
    digests: int
    sent: int


def run_tick(runtime: Runtime, courier: Courier) -> TickReport:
    """One pass: fire due timers, retry routing, owe due digests, then send what is owed."""
    now = runtime.clock()
    report = SweepReport()
    first = True
    while True:  # batches keep transactions short; handled leads move their next check on
        with runtime.transaction() as session:
            batch = sweep(session, policy=runtime.policy, now=now, limit=SWEEP_BATCH, place=first)
        report.add(batch)
        first = False
        if batch.checked < SWEEP_BATCH:
            break
    with runtime.transaction() as session:
        digests = enqueue_due_digests(session, policy=runtime.policy, now=now)
    return TickReport(sweep=report, digests=digests, sent=courier.deliver_due())


def start_scheduler(
    runtime: Runtime, courier: Courier, *, seconds: int = TICK_SECONDS
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")

    def tick() -> None:
        try:
            result = run_tick(runtime, courier)
            if result.sweep.checked or result.sent:
                log.info("tick: %s, %s sent", result.sweep, result.sent)
        except Exception:
            log.exception("tick failed; the next one will pick the work up")

    scheduler.add_job(
        tick,
        "interval",
        seconds=seconds,
        id="leadclock-tick",
        coalesce=True,
        max_instances=1,
        next_run_time=None,
    )
    scheduler.start()
    # The first pass runs at once. APScheduler counts in wall-clock time, so this must not be
    # `runtime.clock()`: an injected clock ahead of the wall postponed the pass until then, and
    # one behind it made the pass a misfire that never ran.
    scheduler.modify_job("leadclock-tick", next_run_time=datetime.now(UTC))
    return scheduler
