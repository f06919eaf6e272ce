"""Several senders and several replicas at once: each lead stored once, each alert sent once."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text

from bot.sandbox import HttpAnswer, Sandbox
from bot.scheduler import run_tick
from bot.wiring import build_process
from storage.engine import make_engine
from tests.bot.e2e.conftest import (
    BREACH,
    CHANNEL,
    MANAGER,
    alerts,
    dm_posts,
    lead,
    lead_payload,
    local,
    new_lead,
    posts,
    reply,
)
from tests.conftest import wait_queued_behind


def all_at_once(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run the jobs in threads released together; return their results, raising any error."""
    start = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait(timeout=10)
            results[index] = jobs[index]()
        except BaseException as error:  # re-raised in the test's thread below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


@contextmanager
def attempts_held(database_url: str) -> Iterator[Callable[[int], None]]:
    """Hold PostgreSQL's write lock on `attempts`, so concurrent requests stop just before they
    record their attempt, each having done whatever it does first.

    Yields `wait_queued(n)`, which returns once n sessions are queued behind the lock (directly
    or behind one another); leaving the block releases it. SQLite runs whole units of work one
    at a time (`BEGIN IMMEDIATE`), so there nothing is held and `wait_queued` returns at once.
    """
    if not database_url.startswith("postgresql"):
        yield lambda n: None
        return
    engine = make_engine(database_url)
    try:
        with engine.connect() as holder:
            holder.execute(text("LOCK TABLE attempts IN EXCLUSIVE MODE"))
            pid = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
            yield lambda n: wait_queued_behind(engine, pid, n)
            holder.rollback()
    finally:
        engine.dispose()


def test_a_slack_retry_racing_the_original_records_the_attempt_once(
    box: Sandbox, database_url: str
):
    """Slack retries a slow `/attempt` (same trigger_id) while the original is still working.

    On PostgreSQL both requests are held inside their transactions until both are queued, so
    the retry cannot simply read a committed reply: it must lose to the original's claim.
    """
    owner = new_lead(box)["assignee"]
    box.clock.set(local(7, 9, 15))
    body = box.command_body(owner, "/attempt", "lead-1 call no-answer", trigger_id="trig-race")
    form = "application/x-www-form-urlencoded"
    answers: dict[str, HttpAnswer] = {}

    def deliver(name: str, retry_num: int | None) -> None:
        answers[name] = box.signed_post(body, form, retry_num=retry_num)

    threads = [
        threading.Thread(target=deliver, args=("original", None)),
        threading.Thread(target=deliver, args=("retry", 1)),
    ]
    with attempts_held(database_url) as wait_queued:
        for thread in threads:
            thread.start()
        wait_queued(2)
    for thread in threads:
        thread.join(timeout=30)
    original, retry = answers["original"], answers["retry"]
    assert "attempt 1 of 5" in reply(original)
    assert retry.json() == original.json()
    assert len(lead(box, "lead-1")["attempts"]) == 1


def test_the_same_lead_posted_concurrently_is_stored_and_announced_once(box: Sandbox):
    payload = lead_payload(external_id="hs-race")
    answers = all_at_once([lambda: box.post_lead(payload)] * 6)
    statuses = sorted(a.status for a in answers)
    assert statuses == [200] * 5 + [201], [a.body for a in answers]
    bodies = [a.json() for a in answers]
    assert {b["id"] for b in bodies} == {"lead-1"}
    assert sum(b["duplicate"] for b in bodies) == 5
    owner = bodies[0]["assignee"]
    assert len(dm_posts(box, owner)) == 1
    assert len(posts(box)) == 1
    assert box.get_lead("lead-2").status == 404


def test_different_leads_posted_concurrently_are_all_assigned(box: Sandbox):
    payloads = [lead_payload() for _ in range(6)]
    answers = all_at_once([lambda p=p: box.post_lead(p) for p in payloads])
    assert [a.status for a in answers] == [201] * 6, [a.body for a in answers]
    ids = {a.json()["id"] for a in answers}
    assert ids == {f"lead-{n}" for n in range(1, 7)}
    owners = [a.json()["assignee"] for a in answers]
    assert sorted(owners.count(rep) for rep in set(owners)) == [2, 2, 2]  # fair under load
    assert len(posts(box)) == 6


def test_two_replicas_ticking_together_breach_and_alert_once(box: Sandbox):
    assert box.process is not None
    owners = {f"lead-{n}": new_lead(box)["assignee"] for n in range(1, 7)}
    replica = build_process(box.process.runtime.settings, clock=box.clock, policy=box.policy)
    replica.runtime.worker = "replica-2"
    try:
        box.clock.set(local(7, 13, 5))
        processes = [box.process, replica]
        reports = all_at_once([lambda p=p: run_tick(p.runtime, p.courier) for p in processes])
    finally:
        replica.runtime.engine.dispose()
    assert sum(r.sweep.breaches for r in reports) == 6
    assert sum(r.sweep.failed for r in reports) == 0
    for lead_id, owner in owners.items():
        assert len(lead(box, lead_id)["breaches"]) == 1, lead_id
        for recipient in (owner, CHANNEL, MANAGER):
            named = sum(f"{lead_id} " in c.params["text"] for c in alerts(box, recipient, BREACH))
            assert named == 1, (lead_id, recipient)
    weekly = [m for m in box.slack.messages(CHANNEL) if m.text.startswith("Weekly SLA digest")]
    assert len(weekly) == 1, json.dumps([m.text for m in box.slack.messages(CHANNEL)])
