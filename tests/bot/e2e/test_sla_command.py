"""`/sla`: team status with both sides' figures, away/back presence, help."""

from __future__ import annotations

import pytest

from bot.sandbox import Sandbox
from tests.bot.e2e.conftest import (
    ALICE,
    BOB,
    CARA,
    MANAGER,
    date_tokens,
    lead_payload,
    local,
    new_lead,
    reply,
)


def owners_of_new_leads(box: Sandbox, count: int) -> list[str]:
    return [new_lead(box)["assignee"] for _ in range(count)]


def test_status_shows_both_sides(box: Sandbox):
    owner = new_lead(box)["assignee"]
    new_lead(box)
    box.post_lead(lead_payload(score=40))  # unqualified: received, not accepted
    box.clock.set(local(7, 9, 30))
    reply(box.slash(owner, "/attempt", "lead-1 call connected"))
    text = reply(box.slash(MANAGER, "/sla"))
    assert "SLA status 2026-12" in text
    assert "2 accepted of 150 monthly target" in text  # marketing's side
    assert "3 received in all" in text
    assert "first contact on time 100% (1 of 1)" in text  # sales' side
    assert "1 attempt ·" in text
    assert f"<@{owner}> 1/30 open" in text
    assert reply(box.slash(ALICE, "/sla", "status")) == text


def test_away_reps_are_skipped_until_they_are_back(box: Sandbox):
    text = reply(box.slash(ALICE, "/sla", "away"))
    assert "You're away" in text and "/sla back" in text
    owners = owners_of_new_leads(box, 4)
    assert ALICE not in owners
    assert set(owners) == {BOB, CARA}
    assert "· away" in reply(box.slash(MANAGER, "/sla"))

    assert "Welcome back" in reply(box.slash(ALICE, "/sla", "back"))
    assert ALICE in owners_of_new_leads(box, 3)


def test_away_until_a_date_lapses_by_itself(box: Sandbox):
    text = reply(box.slash(BOB, "/sla", "away until 2026-12-09"))
    assert local(9, 0, 0) in date_tokens(text)
    box.clock.set(local(8, 10))  # Tuesday: still away
    assert BOB not in owners_of_new_leads(box, 4)
    box.clock.set(local(9, 9))  # Wednesday: back without saying so
    assert BOB in owners_of_new_leads(box, 3)


def test_everyone_away_leaves_the_lead_unassigned(box: Sandbox):
    for rep in (ALICE, BOB, CARA):
        reply(box.slash(rep, "/sla", "away"))
    answer = box.post_lead(lead_payload())
    assert answer.json()["status"] == "unassigned"
    assert answer.json()["assignee"] is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("away until tomorrow", "is not a date"),
        ("away until 2026-12-07", "is not in the future"),
        ("away until", "Usage: `/sla away [until YYYY-MM-DD]`"),
        ("away next week", "Usage: `/sla away [until YYYY-MM-DD]`"),
        ("dance", "I don't know `/sla dance`"),
    ],
)
def test_bad_sla_commands_get_usage_and_change_nothing(box: Sandbox, text: str, says: str):
    assert says in reply(box.slash(ALICE, "/sla", text))
    assert "· away" not in reply(box.slash(MANAGER, "/sla"))
    assert ALICE in owners_of_new_leads(box, 3)


def test_help(box: Sandbox):
    text = reply(box.slash(CARA, "/sla", "help"))
    for command in ("/attempt", "/lead", "/sla away", "/sla back"):
        assert command in text
