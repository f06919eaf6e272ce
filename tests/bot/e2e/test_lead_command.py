"""`/lead`: the card, the list, closing a lead, and a manager's reassignment."""

from __future__ import annotations

import pytest

from bot.sandbox import Sandbox
from tests.bot.e2e.conftest import (
    ALICE,
    BOB,
    MANAGER,
    card_of,
    date_tokens,
    dm_posts,
    lead,
    leads_of_one_rep,
    local,
    new_lead,
    other_rep,
    policy_text,
    reply,
    text_of,
    updates_of,
)


def log_attempts(box: Sandbox, user: str, lead_id: str, count: int, outcome: str = "no-answer"):
    for _ in range(count):
        reply(box.slash(user, "/attempt", f"{lead_id} call {outcome}"))


def test_the_card_explains_routing_and_cadence(box: Sandbox):
    owner = new_lead(box, name="Ravi Patel", company="Globex")["assignee"]
    box.clock.set(local(7, 9, 30))
    log_attempts(box, owner, "lead-1", 1)
    text = reply(box.slash(BOB, "/lead", "lead-1"))  # anyone may look
    assert "Ravi Patel" in text and "Globex" in text
    assert f"Why <@{owner}>:" in text and "round_robin picked" in text
    assert "1 of 5 attempts logged" in text
    assert "first contact on time" in text
    assert "Disqualify: 1 of 5 attempts logged and none connected" in text
    assert local(8, 9, 30) in date_tokens(text)  # next attempt due, 8 business hours on


def test_list_shows_only_my_open_leads(box: Sandbox):
    owners = [new_lead(box)["assignee"] for _ in range(4)]
    mine = [f"lead-{n}" for n, owner in enumerate(owners, 1) if owner == owners[0]]
    assert len(mine) == 2  # round robin over three reps
    reply(box.slash(owners[0], "/lead", f"convert {mine[1]}"))
    text = reply(box.slash(owners[0], "/lead", "list"))
    assert "You have 1 open lead" in text
    assert f"*{mine[0]}*" in text
    for other in {f"lead-{n}" for n in range(1, 5)} - {mine[0]}:
        assert f"*{other}*" not in text
    assert "You have no open leads" in reply(box.slash(MANAGER, "/lead", "list"))


def test_a_long_list_shows_the_most_urgent_leads_and_counts_the_rest(make_box):
    box: Sandbox = make_box(policy_text(max_open=60))
    rep = leads_of_one_rep(box, 60)
    text = reply(box.slash(rep, "/lead", "list"))  # reply() checks Slack's limits
    assert "You have 60 open leads" in text
    shown = [n for n in range(1, 61) if f"*lead-{n}*" in text]
    assert shown == list(range(1, len(shown) + 1)) and 20 < len(shown) < 60
    assert f"…and {60 - len(shown)} more — `/lead LEAD` for any of them" in text


def test_disqualify_is_refused_before_the_minimum_attempts(box: Sandbox):
    owner = new_lead(box)["assignee"]
    box.clock.set(local(7, 9, 30))
    log_attempts(box, owner, "lead-1", 2)
    text = reply(box.slash(owner, "/lead", "disqualify lead-1 not a fit"))
    assert "Not yet" in text and "2 of 5 attempts" in text
    body = lead(box, "lead-1")
    assert body["status"] == "working" and body["closed_at"] is None


def test_disqualify_is_allowed_after_five_attempts(box: Sandbox):
    owner = new_lead(box)["assignee"]
    box.clock.set(local(7, 9, 30))
    log_attempts(box, owner, "lead-1", 4)
    assert "Not yet" in reply(box.slash(owner, "/lead", "disqualify lead-1 no budget"))
    log_attempts(box, owner, "lead-1", 1)
    text = reply(box.slash(owner, "/lead", "disqualify lead-1 no budget"))
    assert "disqualified" in text
    body = lead(box, "lead-1")
    assert body["status"] == "disqualified"
    assert body["close_reason"] == "no budget"
    assert body["closed_at"] == "2026-12-07T14:30:00Z"
    assert "Closed as *disqualified*" in text_of(card_of(box, owner, "lead-1"))


def test_disqualify_is_allowed_once_connected(box: Sandbox):
    owner = new_lead(box)["assignee"]
    log_attempts(box, owner, "lead-1", 1, outcome="connected")
    assert "disqualified" in reply(box.slash(owner, "/lead", "disqualify lead-1 wrong market"))
    assert lead(box, "lead-1")["status"] == "disqualified"


def test_reject_needs_a_reason(box: Sandbox):
    owner = new_lead(box)["assignee"]
    assert "Say why" in reply(box.slash(owner, "/lead", "reject lead-1"))
    assert lead(box, "lead-1")["status"] == "assigned"
    assert "rejected" in reply(box.slash(owner, "/lead", "reject lead-1 student, no company"))
    body = lead(box, "lead-1")
    assert body["status"] == "rejected"
    assert body["close_reason"] == "student, no company"


def test_convert_closes_and_a_closed_lead_takes_nothing_more(box: Sandbox):
    owner = new_lead(box)["assignee"]
    card = card_of(box, owner, "lead-1")
    assert "converted" in reply(box.slash(owner, "/lead", "convert lead-1"))
    assert lead(box, "lead-1")["status"] == "converted"
    assert updates_of(box, card)  # the card says it is closed…
    assert "Log call" not in text_of(card_of(box, owner, "lead-1"))  # …and loses its buttons
    for text in ("lead-1 call", "lead-1 email connected"):
        assert "already converted" in reply(box.slash(owner, "/attempt", text))
    assert "already converted" in reply(box.slash(owner, "/lead", "reject lead-1 oops"))
    body = lead(box, "lead-1")
    assert body["status"] == "converted" and body["attempts"] == []


def test_closing_someone_elses_lead_is_refused(box: Sandbox):
    owner = new_lead(box)["assignee"]
    assert "belongs to" in reply(box.slash(other_rep(owner), "/lead", "convert lead-1"))
    assert lead(box, "lead-1")["status"] == "assigned"


def test_a_manager_reassigns_a_lead(box: Sandbox):
    created = new_lead(box)
    old = created["assignee"]
    new = other_rep(old)
    old_card = card_of(box, old, "lead-1")
    box.clock.set(local(7, 10, 0))

    text = reply(box.slash(MANAGER, "/lead", f"reassign lead-1 <@{new}|someone>"))

    assert f"now belongs to <@{new}>" in text
    body = lead(box, "lead-1")
    assert body["assignee"] == new
    assert body["first_contact_due"] == created["first_contact_due"]  # deadline unchanged
    history = body["assignments"]
    assert [a["assignee"] for a in history] == [old, new]
    assert history[0]["ended_at"] == "2026-12-07T15:00:00Z"
    assert history[1]["by"] == MANAGER and history[1]["ended_at"] is None
    # the new rep gets a card; the old one is edited to say so
    [post] = dm_posts(box, new)
    assert "lead-1" in text_of(post.params)
    [edit] = updates_of(box, old_card)
    assert f"Reassigned to <@{new}>" in text_of(edit.params)
    assert "Log call" not in text_of(card_of(box, old, "lead-1"))
    # the new owner may act; the old one may not
    assert "attempt 1 of 5" in reply(box.slash(new, "/attempt", "lead-1 call"))
    assert "belongs to" in reply(box.slash(old, "/attempt", "lead-1 call"))


@pytest.mark.parametrize(
    ("who", "text", "says"),
    [
        (ALICE, "reassign lead-1 <@U0CARA|cara>", "Only managers"),
        (MANAGER, "reassign lead-1", "@mention"),
        (MANAGER, "reassign lead-1 bob", "@mention"),
        (MANAGER, "reassign lead-1 <@U0NOBODY|x>", "not a rep"),
        (MANAGER, "reassign lead-7 <@U0CARA|cara>", "can't find"),
    ],
)
def test_bad_reassignments_are_refused_and_change_nothing(box: Sandbox, who, text, says):
    owner = new_lead(box)["assignee"]
    assert says in reply(box.slash(who, "/lead", text))
    body = lead(box, "lead-1")
    assert body["assignee"] == owner and len(body["assignments"]) == 1
    assert len(dm_posts(box, owner)) == 1


def test_help_and_unknown_verbs(box: Sandbox):
    assert "/lead reassign" in reply(box.slash(ALICE, "/lead", "help"))
    assert "/lead reassign" in reply(box.slash(ALICE, "/lead", ""))
    assert "I don't know `/lead frobnicate`" in reply(box.slash(ALICE, "/lead", "frobnicate x"))
    text = reply(box.slash(ALICE, "/lead", "lead-1 convert"))
    assert "`/lead lead-1` shows the lead and takes nothing more" in text
    assert "`/lead convert lead-1`" in text


def test_a_manager_may_overrule_capacity_and_absence_but_is_told(make_box):
    box: Sandbox = make_box(policy_text(max_open=1))
    owners = [new_lead(box)["assignee"] for _ in range(2)]
    target = owners[1]
    reply(box.slash(target, "/sla", "away"))
    text = reply(box.slash(MANAGER, "/lead", f"reassign lead-1 <@{target}>"))
    assert f"now belongs to <@{target}>" in text
    assert f"<@{target}> is away" in text
    assert f"<@{target}> now has 2 open leads, over their capacity of 1" in text
    plain = reply(box.slash(MANAGER, "/lead", f"reassign lead-1 <@{owners[0]}>"))
    assert "Note:" not in plain


def test_the_card_tells_every_owner_and_why(box: Sandbox):
    old = new_lead(box)["assignee"]
    new = other_rep(old)
    box.clock.set(local(7, 10, 0))
    reply(box.slash(MANAGER, "/lead", f"reassign lead-1 <@{new}>"))
    text = reply(box.slash(new, "/lead", "lead-1"))
    assert f"<@{old}> — round_robin picked <@{old}> (next in turn)" in text
    assert f"<@{new}> — Reassigned by <@{MANAGER}> from <@{old}>" in text


def test_a_reassigned_lead_keeps_its_live_deadline_and_the_reply_names_that_one(box: Sandbox):
    owner = new_lead(box)["assignee"]
    box.clock.set(local(7, 9, 30))
    reply(box.slash(owner, "/attempt", "lead-1 call no-answer"))  # next due Tue 09:30
    text = reply(box.slash(MANAGER, "/lead", f"reassign lead-1 <@{other_rep(owner)}>"))
    assert date_tokens(text) == [local(8, 9, 30).astimezone(date_tokens(text)[0].tzinfo)]


def long_note(n: int) -> str:
    """A 2,000-character note (the most an attempt keeps), told apart by its first word."""
    return (f"note{n} " + "lorem " * 400)[:2000]


def test_the_card_shows_every_long_note_in_a_reply_slack_takes(box: Sandbox):
    owner = new_lead(box)["assignee"]
    box.clock.set(local(7, 9, 30))
    for n in range(1, 5):
        reply(box.slash(owner, "/attempt", f"lead-1 call no-answer {long_note(n)}"))
    text = reply(box.slash(owner, "/lead", "lead-1"))  # reply() checks Slack's limits
    for n in range(1, 5):
        assert long_note(n) in text


def test_more_long_notes_than_fit_show_the_latest_and_count_the_rest(box: Sandbox):
    owner = new_lead(box)["assignee"]
    box.clock.set(local(7, 9, 30))
    for n in range(1, 8):
        reply(box.slash(owner, "/attempt", f"lead-1 email {long_note(n)}"))
    text = reply(box.slash(owner, "/lead", "lead-1"))
    assert [n for n in range(1, 8) if long_note(n) in text] == [4, 5, 6, 7]
    assert "*Attempts* · 3 earlier attempts not shown" in text


def test_a_closing_reason_that_escapes_past_the_limit_is_cut_not_refused(box: Sandbox):
    owner = new_lead(box)["assignee"]
    reply(box.slash(owner, "/lead", "reject lead-1 " + "&lt;" * 2000))  # 2,000 "<" as typed
    assert lead(box, "lead-1")["close_reason"] == "<" * 2000
    text = reply(box.slash(owner, "/lead", "lead-1"))  # each "<" shows as "&lt;": 8,000 chars
    assert "*Closed:* &lt;&lt;" in text and "&lt;…" in text
