"""`/attempt` through signed slash commands, and the DM card's buttons."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from bot.ids import ActionId
from bot.sandbox import Sandbox
from bot.slack_standin import RESPONSE_URL
from tests.bot.e2e.conftest import (
    MANAGER,
    REPS,
    card_of,
    date_tokens,
    lead,
    lead_payload,
    local,
    new_lead,
    other_rep,
    policy_text,
    reply,
    text_of,
    updates_of,
    writes,
)


def test_an_attempt_is_logged_and_the_reply_says_where_the_cadence_stands(box: Sandbox):
    created = new_lead(box)
    owner = created["assignee"]
    card = card_of(box, owner, "lead-1")
    box.clock.set(local(7, 9, 15))

    text = reply(box.slash(owner, "/attempt", "lead-1 call no-answer left a voicemail"))

    assert "attempt 1 of 5" in text
    assert "First contact met" in text
    next_due = local(8, 9, 15)  # 8 business hours after Mon 09:15
    assert next_due in date_tokens(text)
    body = lead(box, "lead-1")
    assert body["status"] == "working"
    assert body["first_contact_at"] == "2026-12-07T14:15:00Z"
    assert [(a["channel"], a["outcome"], a["by"], a["note"]) for a in body["attempts"]] == [
        ("call", "no-answer", owner, "left a voicemail")
    ]
    # the card is edited in place (same channel and ts), not posted again
    [edit] = updates_of(box, card)
    assert "1 of 5 attempts logged" in text_of(edit.params)
    assert "1 of 5 attempts logged" in text_of(card_of(box, owner, "lead-1"))
    assert len(box.slack.calls("chat.postMessage")) == 1


def test_a_late_first_attempt_says_first_contact_missed(box: Sandbox):
    owner = new_lead(box)["assignee"]
    box.clock.set(local(7, 13, 30))  # due 13:00
    text = reply(box.slash(owner, "/attempt", "LEAD-1 email"))
    assert "attempt 1 of 5" in text
    assert "First contact missed" in text


def test_second_attempt_counts_and_the_note_may_follow_the_channel(box: Sandbox):
    owner = new_lead(box)["assignee"]
    box.clock.set(local(7, 9, 15))
    reply(box.slash(owner, "/attempt", "1 call"))
    box.clock.set(local(7, 10, 0))
    text = reply(box.slash(owner, "/attempt", "lead-1 linkedin sent a connection request"))
    assert "attempt 2 of 5" in text
    assert "First contact" not in text
    attempts = lead(box, "lead-1")["attempts"]
    assert attempts[1] == {
        "channel": "linkedin",
        "outcome": None,
        "at": "2026-12-07T15:00:00Z",
        "by": owner,
        "note": "sent a connection request",
    }


@pytest.mark.parametrize(
    ("who", "text", "says"),
    [
        ("owner", "lead-99 call", "can't find a lead called `lead-99`"),
        ("owner", "banana call", "not a lead id"),
        ("owner", "lead-1 fax", "`call`, `email`, `sms`, `linkedin`, `meeting`, `other`"),
        ("owner", "lead-1 call no-anwser", "did you mean `no-answer`"),
        ("owner", "lead-1 cal", "did you mean `call`"),
        ("other", "lead-1 call", "belongs to <@"),
        ("owner", "", "Which lead?"),
        ("owner", "lead-1", "Add a channel"),
        ("owner", "lead-" + "9" * 30 + " call", "not a lead id"),
    ],
)
def test_bad_attempts_get_an_ephemeral_explanation_and_change_nothing(
    box: Sandbox, who: str, text: str, says: str
):
    owner = new_lead(box)["assignee"]
    calls_before = len(writes(box))
    user = owner if who == "owner" else other_rep(owner)
    answer = box.slash(user, "/attempt", text)
    assert says in reply(answer)
    body = lead(box, "lead-1")
    assert body["attempts"] == [] and body["status"] == "assigned"
    assert body["first_contact_at"] is None
    assert len(writes(box)) == calls_before  # no card edit, no message


def test_a_closed_lead_takes_no_attempts(box: Sandbox):
    owner = new_lead(box)["assignee"]
    reply(box.slash(owner, "/lead", "convert lead-1"))
    text = reply(box.slash(owner, "/attempt", "lead-1 call"))
    assert "already converted" in text
    assert lead(box, "lead-1")["attempts"] == []


def test_a_manager_may_log_on_anyones_lead(box: Sandbox):
    new_lead(box)
    text = reply(box.slash("U0MGR", "/attempt", "lead-1 meeting connected"))
    assert "attempt 1 of 5" in text
    body = lead(box, "lead-1")
    assert body["status"] == "connected"
    assert body["attempts"][0]["by"] == "U0MGR"


def test_a_repeated_delivery_records_nothing_twice_and_replies_the_same(box: Sandbox):
    owner = new_lead(box)["assignee"]
    box.clock.set(local(7, 9, 15))
    first = box.slash(owner, "/attempt", "lead-1 call no-answer", trigger_id="trig-1")
    calls = len(writes(box))
    box.clock.set(local(7, 9, 16))
    again = box.slash(owner, "/attempt", "lead-1 call no-answer", trigger_id="trig-1", retry_num=1)
    assert again.status == 200
    assert again.json() == first.json()
    assert len(lead(box, "lead-1")["attempts"]) == 1
    assert len(writes(box)) == calls
    # a new request (new trigger) is a new attempt
    assert "attempt 2 of 5" in reply(box.slash(owner, "/attempt", "lead-1 call no-answer"))


# --- buttons -------------------------------------------------------------------------------


def test_a_button_logs_an_attempt_replies_to_the_response_url_and_edits_the_card(box: Sandbox):
    owner = new_lead(box)["assignee"]
    card = card_of(box, owner, "lead-1")
    box.clock.set(local(7, 9, 30))
    answer = box.click(owner, ActionId.LOG_EMAIL.value, "lead-1")
    assert answer.status == 200
    [responded] = box.slack.calls(RESPONSE_URL)
    assert responded.params["response_type"] == "ephemeral"
    assert responded.params.get("replace_original") in (False, "false")
    assert "attempt 1 of 5" in responded.params["text"]
    body = lead(box, "lead-1")
    assert [(a["channel"], a["outcome"], a["by"]) for a in body["attempts"]] == [
        ("email", None, owner)
    ]
    [edit] = updates_of(box, card)
    assert "1 of 5 attempts logged" in text_of(edit.params)


def test_the_connected_button_marks_the_lead_connected(box: Sandbox):
    owner = new_lead(box)["assignee"]
    box.click(owner, ActionId.LOG_CONNECTED.value, "lead-1")
    body = lead(box, "lead-1")
    assert body["status"] == "connected"
    assert body["attempts"][0]["outcome"] == "connected"
    assert "Connected" in text_of(card_of(box, owner, "lead-1"))


def test_someone_elses_button_click_is_refused_ephemerally(box: Sandbox):
    owner = new_lead(box)["assignee"]
    intruder = other_rep(owner)
    box.click(intruder, ActionId.LOG_CALL.value, "lead-1")
    [responded] = box.slack.calls(RESPONSE_URL)
    assert responded.params["response_type"] == "ephemeral"
    assert "belongs to" in responded.params["text"]
    assert lead(box, "lead-1")["attempts"] == []
    assert box.slack.calls("chat.update") == []


# --- signatures ----------------------------------------------------------------------------


def test_a_forged_signature_is_401_and_records_nothing(box: Sandbox):
    owner = new_lead(box)["assignee"]
    calls = len(writes(box))
    body = box.command_body(owner, "/attempt", "lead-1 call")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(int(box.clock().timestamp())),
        "X-Slack-Signature": "v0=" + "ab" * 32,
    }
    assert box.request("POST", "/slack/events", body, headers).status == 401
    answer = box.signed_post(body, "application/x-www-form-urlencoded", secret="not-our-secret")
    assert answer.status == 401
    assert lead(box, "lead-1")["attempts"] == []
    assert len(writes(box)) == calls


def test_a_stale_slack_timestamp_is_401(box: Sandbox):
    owner = new_lead(box)["assignee"]
    body = box.command_body(owner, "/attempt", "lead-1 call")
    stale = int(time.time() - timedelta(minutes=6).total_seconds())
    answer = box.signed_post(body, "application/x-www-form-urlencoded", timestamp=stale)
    assert answer.status == 401
    assert lead(box, "lead-1")["attempts"] == []
    fresh = box.signed_post(body, "application/x-www-form-urlencoded")
    assert fresh.status == 200
    assert len(lead(box, "lead-1")["attempts"]) == 1


def test_text_slack_escaped_is_stored_as_typed_and_shown_safely(box: Sandbox):
    owner = new_lead(box)["assignee"]
    box.clock.set(local(7, 9, 15))
    # with should_escape, Slack sends "Q&A call; budget > 10k <3" like this:
    reply(box.slash(owner, "/attempt", "lead-1 call Q&amp;A call; budget &gt; 10k &lt;3"))
    assert lead(box, "lead-1")["attempts"][0]["note"] == "Q&A call; budget > 10k <3"
    card = reply(box.slash(owner, "/lead", "lead-1"))
    assert "Q&amp;A call; budget &gt; 10k &lt;3" in card


def test_no_answer_may_be_written_as_two_words(box: Sandbox):
    owner = new_lead(box)["assignee"]
    reply(box.slash(owner, "/attempt", "lead-1 call no answer twice"))
    [attempt] = lead(box, "lead-1")["attempts"]
    assert (attempt["outcome"], attempt["note"]) == ("no-answer", "twice")


def test_an_unqualified_lead_says_so_rather_than_whose_it_is(box: Sandbox):
    box.post_lead(lead_payload(score=40))
    for user in (REPS[0], MANAGER):
        text = reply(box.slash(user, "/attempt", "lead-1 call"))
        assert "did not qualify (score 40; leads qualify above 65)" in text
    assert lead(box, "lead-1")["attempts"] == []


def test_an_attempt_while_waiting_for_an_owner_makes_it_working_once_assigned(make_box):
    box: Sandbox = make_box(policy_text(max_open=1))
    for _ in range(3):
        new_lead(box)
    assert box.post_lead(lead_payload()).json()["status"] == "unassigned"
    reply(box.slash(MANAGER, "/attempt", "lead-4 email"))
    assert lead(box, "lead-4")["status"] == "unassigned"
    reply(box.slash(MANAGER, "/attempt", "lead-4 call connected"))
    assert lead(box, "lead-4")["status"] == "unassigned"  # still needs an owner
    reply(box.slash(MANAGER, "/lead", f"reassign lead-4 <@{REPS[0]}>"))
    assert lead(box, "lead-4")["status"] == "connected"


def test_a_note_longer_than_kept_is_refused_with_its_length_and_changes_nothing(box: Sandbox):
    owner = new_lead(box)["assignee"]
    text = reply(box.slash(owner, "/attempt", "lead-1 call " + "x" * 2001))
    assert "That note has 2,001 characters; leadclock keeps up to 2,000" in text
    assert lead(box, "lead-1")["attempts"] == []
    text = reply(box.slash(owner, "/lead", "reject lead-1 " + "&amp;" * 2001))  # 2,001 "&"
    assert "That reason has 2,001 characters" in text
    assert lead(box, "lead-1")["status"] == "assigned"
    reply(box.slash(owner, "/attempt", "lead-1 call " + "x" * 2000))  # exactly the limit: kept
    assert len(lead(box, "lead-1")["attempts"][0]["note"]) == 2000
