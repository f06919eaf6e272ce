"""Leads nobody can take: parked as `unassigned`, announced once, assigned on a later tick."""

from __future__ import annotations

from bot.flows.assignment import WAITING_PAGE
from bot.sandbox import Sandbox
from tests.bot.e2e.conftest import (
    BOB,
    BREACH,
    CHANNEL,
    MANAGER,
    REPS,
    UNASSIGNED,
    alerts,
    card_of,
    dm_posts,
    lead,
    lead_payload,
    local,
    policy_text,
    reply,
    text_of,
)


def post(box: Sandbox) -> dict:
    answer = box.post_lead(lead_payload())
    assert answer.status in (200, 201), answer.body
    return answer.json()


def test_when_everyone_is_at_capacity_the_lead_waits_and_the_channel_is_told_once(make_box):
    box: Sandbox = make_box(policy_text(max_open=1))
    owners = {post(box)["assignee"] for _ in range(3)}
    assert owners == set(REPS)

    waiting = post(box)
    assert waiting["status"] == "unassigned" and waiting["assignee"] is None
    [notice] = alerts(box, CHANNEL, UNASSIGNED)
    assert "lead-4" in notice.params["text"] and "at capacity, 1/1 open" in notice.params["text"]

    for minute in (41, 45, 50):
        box.tick(local(7, 8, minute))
    assert lead(box, "lead-4")["status"] == "unassigned"
    assert len(alerts(box, CHANNEL, UNASSIGNED)) == 1

    freed = lead(box, "lead-2")["assignee"]
    reply(box.slash(freed, "/lead", "convert lead-2"))
    report = box.tick(local(7, 9, 0))
    assert report.sweep.assigned == 1
    body = lead(box, "lead-4")
    assert body["status"] == "assigned" and body["assignee"] == freed
    assert body["first_contact_due"] == "2026-12-07T18:00:00Z"  # still counted from qualification
    assert card_of(box, freed, "lead-4")
    assert len(alerts(box, CHANNEL, UNASSIGNED)) == 1
    box.tick(local(7, 9, 5))
    assert len(dm_posts(box, freed)) == 2  # lead-2's card and lead-4's, nothing more


def test_each_waiting_lead_is_announced_once(make_box):
    box: Sandbox = make_box(policy_text(max_open=1))
    for _ in range(5):
        post(box)
    box.tick(local(7, 8, 50))
    box.tick(local(7, 8, 55))
    texts = [n.params["text"] for n in alerts(box, CHANNEL, UNASSIGNED)]
    # a notice may carry both leads when the courier groups them; each is named exactly once
    assert sum(t.count("lead-4") for t in texts) == 1
    assert sum(t.count("lead-5") for t in texts) == 1


def test_when_everyone_is_away_the_lead_waits_until_someone_is_back(box: Sandbox):
    for rep in REPS:
        reply(box.slash(rep, "/sla", "away"))
    waiting = post(box)
    assert waiting["status"] == "unassigned"
    [notice] = alerts(box, CHANNEL, UNASSIGNED)
    assert "away" in notice.params["text"]
    box.tick(local(7, 8, 45))
    assert lead(box, "lead-1")["status"] == "unassigned"

    reply(box.slash(BOB, "/sla", "back"))
    box.tick(local(7, 8, 50))
    body = lead(box, "lead-1")
    assert body["assignee"] == BOB and body["status"] == "assigned"
    assert len(dm_posts(box, BOB)) == 1
    assert len(alerts(box, CHANNEL, UNASSIGNED)) == 1


def test_a_lead_that_waited_past_its_deadline_is_the_teams_breach_not_the_next_reps(make_box):
    box: Sandbox = make_box(policy_text(max_open=1))
    for _ in range(3):
        post(box)
    post(box)  # lead-4 waits; due 13:00 like the rest
    for n in (1, 2, 3):  # everyone works their lead in time, so nobody frees up by closing
        owner = lead(box, f"lead-{n}")["assignee"]
        box.clock.set(local(7, 9, n))
        reply(box.slash(owner, "/attempt", f"lead-{n} call"))
    box.tick(local(7, 13, 1))
    [breach] = lead(box, "lead-4")["breaches"]
    assert breach["kind"] == "first_contact" and breach["assignee"] is None
    [to_channel] = alerts(box, CHANNEL, BREACH)
    assert "lead-4" in to_channel.params["text"]
    assert "no owner: nobody could take it in time" in to_channel.params["text"]
    assert alerts(box, MANAGER, BREACH)

    freed = lead(box, "lead-1")["assignee"]
    box.clock.set(local(7, 14, 0))
    reply(box.slash(freed, "/lead", "convert lead-1"))
    box.tick(local(7, 14, 1))
    body = lead(box, "lead-4")
    assert body["assignee"] == freed
    assert [b["assignee"] for b in body["breaches"]] == [None]  # still nobody's
    assert alerts(box, freed, BREACH) == []
    assert "overdue" in text_of(card_of(box, freed, "lead-4"))


def test_waiting_leads_are_served_before_new_ones(make_box):
    box: Sandbox = make_box(policy_text(max_open=1))
    for _ in range(3):
        post(box)
    assert post(box)["status"] == "unassigned"  # lead-4
    freed = lead(box, "lead-1")["assignee"]
    reply(box.slash(freed, "/lead", "convert lead-1"))
    newcomer = post(box)  # lead-5 arrives before any pass: lead-4 gets the free place
    assert newcomer["status"] == "unassigned"
    assert lead(box, "lead-4")["assignee"] == freed
    assert card_of(box, freed, "lead-4")


def test_a_lead_only_a_full_rep_may_take_does_not_hold_up_those_behind_it(make_box):
    emea, us = REPS[0], REPS[1]
    box: Sandbox = make_box(
        f"""
[[reps]]
slack_id = "{emea}"
max_open = 1
regions = ["EMEA"]
[[reps]]
slack_id = "{us}"
max_open = 1
regions = ["US"]
[slack]
sla_channel = "{CHANNEL}"
managers = ["{MANAGER}"]
"""
    )
    box.post_lead(lead_payload(region="EMEA"))  # lead-1 → the EMEA rep, now full
    box.post_lead(lead_payload(region="US"))  # lead-2 → the US rep, now full
    for _ in range(WAITING_PAGE + 5):  # more than a page of EMEA leads wait for their rep
        assert post_region(box, "EMEA")["status"] == "unassigned"
    us_waiting = post_region(box, "US")  # and behind them, a US lead
    assert us_waiting["status"] == "unassigned"
    reply(box.slash(us, "/lead", "convert lead-2"))
    box.tick(local(7, 8, 45))
    assert lead(box, us_waiting["id"])["assignee"] == us
    assert post_region(box, "US")["status"] == "unassigned"  # the newcomer waits its turn


def post_region(box: Sandbox, region: str) -> dict:
    answer = box.post_lead(lead_payload(region=region))
    assert answer.status in (200, 201), answer.body
    return answer.json()
