"""The timer (`start_scheduler`) and App Home."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from bot.courier import Courier
from bot.sandbox import Sandbox
from bot.scheduler import start_scheduler
from tests.bot.e2e.conftest import (
    BREACH,
    CHANNEL,
    MANAGER,
    alerts,
    lead,
    leads_of_one_rep,
    local,
    new_lead,
    other_rep,
    policy_text,
    text_of,
)


class PassWatcher:
    """A courier that signals each time a scheduler pass reaches its end (the delivery)."""

    def __init__(self, courier: Courier) -> None:
        self._courier = courier
        self.passed = threading.Event()

    def deliver_due(self, **options) -> int:
        try:
            return self._courier.deliver_due(**options)
        finally:
            self.passed.set()


def test_the_scheduler_registers_the_interval_job_and_runs_a_pass_at_once(box: Sandbox):
    assert box.process is not None
    owner = new_lead(box)["assignee"]
    box.clock.set(local(7, 13, 1))  # the app's time: past the deadline
    watcher = PassWatcher(box.process.courier)
    scheduler = start_scheduler(box.process.runtime, watcher, seconds=3600)  # type: ignore[arg-type]
    try:
        job = scheduler.get_job("leadclock-tick")
        assert job is not None
        assert isinstance(job.trigger, IntervalTrigger)
        assert job.trigger.interval == timedelta(hours=1)
        assert watcher.passed.wait(timeout=20), "no scheduler pass ran"
    finally:
        scheduler.shutdown(wait=True)
    assert len(lead(box, "lead-1")["breaches"]) == 1
    assert len(alerts(box, owner, BREACH)) == 1
    assert len(alerts(box, CHANNEL, BREACH)) == 1


@pytest.mark.parametrize(
    "app_time",
    [datetime(2020, 1, 6, 15, tzinfo=UTC), datetime(2099, 1, 5, 15, tzinfo=UTC)],
    ids=["clock-behind-the-wall", "clock-ahead-of-the-wall"],
)
def test_the_first_pass_runs_at_once_whatever_the_injected_clock_says(box: Sandbox, app_time):
    assert box.process is not None
    box.clock.set(app_time)
    watcher = PassWatcher(box.process.courier)
    scheduler = start_scheduler(box.process.runtime, watcher, seconds=3600)  # type: ignore[arg-type]
    try:
        assert watcher.passed.wait(timeout=20), "no scheduler pass ran"
    finally:
        scheduler.shutdown(wait=True)


# --- App Home ------------------------------------------------------------------------------


def test_app_home_shows_the_readers_open_leads(box: Sandbox):
    mine = new_lead(box, name="Ravi Patel")
    owner = mine["assignee"]
    new_lead(box, name="Someone Else")  # another rep's
    assert box.open_home(owner).status == 200
    [view] = box.slack.published_views(owner)
    shown = text_of(view)
    assert view["type"] == "home"
    assert "Your open leads" in shown
    assert "lead-1" in shown and "Ravi Patel" in shown
    assert "business time left" in shown
    assert "lead-2" not in shown and "Someone Else" not in shown
    assert "SLA status" not in shown  # team figures are for managers

    box.open_home(other_rep(owner))
    assert "lead-1" not in text_of(box.slack.published_views(other_rep(owner))[-1])


def test_a_managers_home_adds_the_team_figures(box: Sandbox):
    new_lead(box)
    new_lead(box)
    box.open_home(MANAGER)
    [view] = box.slack.published_views(MANAGER)
    shown = text_of(view)
    assert "Your open leads" in shown and "You have no open leads" in shown
    assert "SLA status 2026-12" in shown
    assert "2 accepted of 150 monthly target" in shown
    assert "first contact on time" in shown


def test_app_home_is_current_each_time_it_opens(box: Sandbox):
    owner = new_lead(box)["assignee"]
    box.open_home(owner)
    box.slash(owner, "/lead", "convert lead-1")
    box.open_home(owner)
    first, second = box.slack.published_views(owner)
    assert "lead-1" in text_of(first)
    assert "lead-1" not in text_of(second) and "You have no open leads" in text_of(second)


def test_app_home_with_many_leads_is_a_view_slack_takes(make_box):
    box: Sandbox = make_box(policy_text(max_open=120))
    rep = leads_of_one_rep(box, 120)
    assert box.open_home(rep).status == 200
    assert [c.error for c in box.slack.calls("views.publish")] == [None]
    [view] = box.slack.published_views(rep)
    shown = text_of(view)
    assert all(f"*lead-{n}*" in shown for n in range(1, 121))
