"""The scheduler pass (`box.tick`): reminders, breaches and escalation, each sent once."""

from __future__ import annotations

import re
from typing import Any

from bot.blocks.limits import TEXT_SHOWN
from bot.sandbox import Sandbox
from tests.bot.e2e.conftest import (
    BREACH,
    CHANNEL,
    MANAGER,
    NUDGE,
    alerts,
    card_of,
    lead,
    local,
    new_lead,
    other_rep,
    policy_text,
    reply,
    text_of,
    updates_of,
    writes,
)


def test_a_missed_first_contact_is_one_breach_escalated_once(box: Sandbox):
    owner = new_lead(box, name="Mia Chen")["assignee"]
    box.tick(local(7, 12, 59, 59))
    assert lead(box, "lead-1")["breaches"] == []
    assert alerts(box, owner, BREACH) == []

    report = box.tick(local(7, 13, 1))

    assert report.sweep.breaches == 1
    assert lead(box, "lead-1")["breaches"] == [
        {
            "kind": "first_contact",
            "at": "2026-12-07T18:00:00Z",
            "recorded_at": "2026-12-07T18:01:00Z",
            "assignee": owner,
        }
    ]
    [to_rep] = alerts(box, owner, BREACH)
    assert "lead-1 Mia Chen" in to_rep.params["text"] and "/attempt lead-1" in to_rep.params["text"]
    [to_channel] = alerts(box, CHANNEL, BREACH)
    assert "lead-1" in to_channel.params["text"] and f"<@{owner}>" in to_channel.params["text"]
    [to_manager] = alerts(box, MANAGER, BREACH)
    assert "lead-1" in to_manager.params["text"]
    assert "overdue" in text_of(card_of(box, owner, "lead-1"))

    seen = len(writes(box))
    again = box.tick(local(7, 13, 2))
    assert again.sweep.breaches == 0
    assert len(writes(box)) == seen
    assert len(lead(box, "lead-1")["breaches"]) == 1


def test_no_breach_at_the_deadline_instant_itself(box: Sandbox):
    owner = new_lead(box)["assignee"]
    box.tick(local(7, 13, 0, 0))
    text = reply(box.slash(owner, "/attempt", "lead-1 call"))
    assert "First contact met" in text
    assert lead(box, "lead-1")["breaches"] == []


def test_reminders_go_out_once_each_at_their_time(box: Sandbox):
    owner = new_lead(box)["assignee"]  # window Mon 09:00–13:00

    def nudges():
        return [c.params["text"] for c in alerts(box, owner, NUDGE)]

    box.tick(local(7, 10, 59))
    assert nudges() == []
    box.tick(local(7, 11, 0))  # 50% of four business hours
    assert len(nudges()) == 1 and "2h 00m business time left" in nudges()[0]
    for minute in (1, 30):
        box.tick(local(7, 11, minute))
    box.tick(local(7, 12, 44))
    assert len(nudges()) == 1
    box.tick(local(7, 12, 45))  # 15m before
    assert len(nudges()) == 2 and "15m business time left" in nudges()[1]
    box.tick(local(7, 12, 50))
    assert len(nudges()) == 2
    assert alerts(box, MANAGER, NUDGE) == [] and alerts(box, CHANNEL, NUDGE) == []


def test_a_late_tick_sends_the_breach_but_not_stale_reminders(box: Sandbox):
    owner = new_lead(box)["assignee"]
    report = box.tick(local(7, 14, 0))
    assert report.sweep.breaches == 1 and report.sweep.reminders == 0
    assert alerts(box, owner, NUDGE) == []
    assert len(alerts(box, owner, BREACH)) == 1


def test_an_attempt_in_time_prevents_the_breach(box: Sandbox):
    owner = new_lead(box)["assignee"]
    box.clock.set(local(7, 12, 0))
    reply(box.slash(owner, "/attempt", "lead-1 call"))
    box.tick(local(7, 13, 30))
    assert lead(box, "lead-1")["breaches"] == []
    assert alerts(box, CHANNEL, BREACH) == []


def test_a_late_follow_up_is_a_follow_up_breach(box: Sandbox):
    owner = new_lead(box)["assignee"]
    box.clock.set(local(7, 9, 15))
    reply(box.slash(owner, "/attempt", "lead-1 call no-answer"))  # next due Tue 09:15
    box.tick(local(7, 13, 15))  # 50% of the follow-up window
    assert len(alerts(box, owner, NUDGE)) == 1
    box.tick(local(8, 9, 0))  # 15m left
    assert len(alerts(box, owner, NUDGE)) == 2
    box.tick(local(8, 9, 15, 1))
    assert lead(box, "lead-1")["breaches"] == [
        {
            "kind": "follow_up",
            "at": "2026-12-08T14:15:00Z",
            "recorded_at": "2026-12-08T14:15:01Z",
            "assignee": owner,
        }
    ]
    [to_channel] = alerts(box, CHANNEL, BREACH)
    assert "follow-up attempt was due" in to_channel.params["text"]
    assert len(alerts(box, MANAGER, BREACH)) == 1
    box.tick(local(8, 10, 0))
    assert len(lead(box, "lead-1")["breaches"]) == 1
    assert len(alerts(box, CHANNEL, BREACH)) == 1


def test_closed_leads_are_not_chased(box: Sandbox):
    owner = new_lead(box)["assignee"]
    reply(box.slash(owner, "/lead", "convert lead-1"))
    box.tick(local(7, 16, 0))
    assert lead(box, "lead-1")["breaches"] == []
    assert alerts(box, owner, NUDGE) == [] and alerts(box, owner, BREACH) == []


def test_breaches_of_one_pass_are_grouped_per_recipient(box: Sandbox):
    for _ in range(3):
        new_lead(box)
    box.tick(local(7, 13, 5))
    [to_channel] = alerts(box, CHANNEL, BREACH)
    assert all(f"lead-{n}" in to_channel.params["text"] for n in (1, 2, 3))
    [to_manager] = alerts(box, MANAGER, BREACH)
    assert all(f"lead-{n}" in to_manager.params["text"] for n in (1, 2, 3))


LEAD_LINE = re.compile(r"lead-(\d+) Dana Whitfield")


def leads_named(messages: list[Any]) -> list[int]:
    """The lead numbers the alert lines of `messages` name, in order, once per line."""
    return [int(n) for m in messages for n in LEAD_LINE.findall(text_of(m.params))]


def test_150_breaches_at_once_all_reach_everyone_in_messages_slack_takes(make_box, waits):
    box: Sandbox = make_box(policy_text(max_open=50))
    owners = {new_lead(box)["assignee"] for _ in range(150)}  # all due Mon 13:00
    box.tick(local(7, 13, 1))

    assert [(c.method, c.error) for c in writes(box) if c.error] == []
    for recipient in (CHANNEL, MANAGER):
        messages = alerts(box, recipient, BREACH)
        assert 1 < len(messages) < 150  # grouped, but into messages that fit
        assert sorted(leads_named(messages)) == sorted([*range(1, 151)] * 2)  # text and blocks
        assert all(len(m.params["text"]) <= TEXT_SHOWN for m in messages)
    for owner in owners:
        assert len(leads_named(alerts(box, owner, BREACH))) == 2 * 50
    assert len(waits.pacing) >= len(alerts(box, CHANNEL, BREACH)) - 1  # still one post a second


def test_reassign_on_breach_hands_the_lead_on_with_a_fresh_window(make_box):
    box: Sandbox = make_box(policy_text(reassign_on_breach=True))
    first_owner = new_lead(box)["assignee"]
    old_card = card_of(box, first_owner, "lead-1")
    box.tick(local(7, 13, 1))
    body = lead(box, "lead-1")
    assert body["assignee"] not in (None, first_owner)
    assert body["first_contact_due"] == "2026-12-08T14:01:00Z"  # 13:01 + 4h → Tue 09:01
    assert [a["assignee"] for a in body["assignments"]] == [first_owner, body["assignee"]]
    assert len(body["breaches"]) == 1 and body["breaches"][0]["assignee"] == first_owner
    assert updates_of(box, old_card)
    assert "lead-1" in text_of(card_of(box, body["assignee"], "lead-1"))
    assert other_rep(first_owner)  # the new owner is another configured rep


def test_a_late_attempt_between_two_passes_still_leaves_its_breach(box: Sandbox):
    owner = new_lead(box, name="Mia Chen")["assignee"]  # due 13:00
    box.tick(local(7, 12, 59))
    box.clock.set(local(7, 13, 10))  # no pass ran between the deadline and the attempt
    assert "First contact missed" in reply(box.slash(owner, "/attempt", "lead-1 call"))
    box.tick(local(7, 13, 11))
    [breach] = lead(box, "lead-1")["breaches"]
    assert (breach["kind"], breach["at"], breach["assignee"]) == (
        "first_contact",
        "2026-12-07T18:00:00Z",
        owner,
    )
    [to_channel] = alerts(box, CHANNEL, BREACH)
    assert (
        "made" in to_channel.params["text"]
        and "10m business time late" in to_channel.params["text"]
    )
    [to_rep] = alerts(box, owner, BREACH)
    assert "/attempt" not in to_rep.params["text"]  # done already: nothing to ask
    box.tick(local(7, 13, 30))
    assert len(lead(box, "lead-1")["breaches"]) == 1


def test_a_lead_closed_past_its_deadline_between_passes_keeps_its_breach(box: Sandbox):
    owner = new_lead(box)["assignee"]
    box.clock.set(local(7, 13, 30))
    reply(box.slash(owner, "/lead", "convert lead-1"))
    box.tick(local(7, 13, 31))
    assert [b["kind"] for b in lead(box, "lead-1")["breaches"]] == ["first_contact"]
    [to_channel] = alerts(box, CHANNEL, BREACH)
    assert "closed as converted" in to_channel.params["text"]


def test_a_late_pass_sends_one_nudge_not_one_per_rule(box: Sandbox):
    owner = new_lead(box)["assignee"]
    box.tick(local(7, 12, 50))  # both the 50% (11:00) and the 15m (12:45) reminders are due
    [nudge] = alerts(box, owner, NUDGE)
    assert nudge.params["text"].count("lead-1") == 1
    assert "10m business time left" in nudge.params["text"]


def test_reassign_on_breach_tells_everyone_where_the_lead_went(make_box):
    box: Sandbox = make_box(policy_text(reassign_on_breach=True))
    first_owner = new_lead(box)["assignee"]
    box.tick(local(7, 13, 1))
    successor = lead(box, "lead-1")["assignee"]
    [to_old] = alerts(box, first_owner, BREACH)
    assert f"It has moved to <@{successor}>" in to_old.params["text"]
    assert "/attempt" not in to_old.params["text"]
    [to_channel] = alerts(box, CHANNEL, BREACH)
    assert f"handed to <@{successor}> with a fresh 4h 00m window" in to_channel.params["text"]


def test_a_policy_change_never_re_judges_deadlines_already_set(make_box):
    box: Sandbox = make_box(policy_text())
    owner = new_lead(box)["assignee"]
    box.clock.set(local(7, 9, 15))
    reply(box.slash(owner, "/attempt", "lead-1 call no-answer"))  # follow-up due Tue 09:15
    box.clock.set(local(8, 9, 0))
    reply(box.slash(owner, "/attempt", "lead-1 email"))  # in time; next due Tue 17:00
    box.tick(local(8, 9, 1))
    assert lead(box, "lead-1")["breaches"] == []
    # the team shortens the follow-up to 4h and restarts on the same database
    later: Sandbox = make_box(policy_text(follow_up_within="4h"), start=local(8, 16, 0))
    later.tick(local(8, 16, 0))
    assert lead(later, "lead-1")["breaches"] == []  # Mon 09:15 + 4h was Mon 13:15: not re-judged
    assert alerts(later, CHANNEL, BREACH) == []
    later.clock.set(local(8, 16, 30))
    reply(later.slash(owner, "/attempt", "lead-1 call"))  # due Tue 17:00 as set: on time
    later.tick(local(9, 12, 29))  # the new attempt's deadline is the new policy's: Wed 12:30
    assert lead(later, "lead-1")["breaches"] == []
    later.tick(local(9, 12, 31))
    assert [(b["kind"], b["at"]) for b in lead(later, "lead-1")["breaches"]] == [
        ("follow_up", "2026-12-09T17:30:00Z")
    ]


def test_a_manager_who_moved_a_breached_lead_is_not_overruled_and_both_reps_hear(make_box):
    box: Sandbox = make_box(policy_text(reassign_on_breach=True))
    first = new_lead(box)["assignee"]  # due 13:00
    chosen = other_rep(first)
    box.clock.set(local(7, 13, 0, 10))  # after the deadline, before any pass
    reply(box.slash(MANAGER, "/lead", f"reassign lead-1 <@{chosen}>"))
    box.tick(local(7, 13, 0, 20))
    body = lead(box, "lead-1")
    assert body["assignee"] == chosen  # the manager's choice stands
    assert [b["assignee"] for b in body["breaches"]] == [first]  # the miss was the first rep's
    [to_chosen] = alerts(box, chosen, BREACH)
    assert "/attempt lead-1" in to_chosen.params["text"]  # the owner now is asked to act
    [to_first] = alerts(box, first, BREACH)
    assert f"owner <@{first}>" in to_first.params["text"]
    assert "/attempt" not in to_first.params["text"]
