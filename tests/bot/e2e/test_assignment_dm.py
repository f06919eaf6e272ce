"""The DM a rep gets on assignment, and what never leaves the DMs (the lead's email)."""

from __future__ import annotations

import json
from datetime import datetime

from bot.ids import ActionId
from bot.sandbox import Sandbox
from tests.bot.e2e.conftest import (
    BREACH,
    CHANNEL,
    MANAGER,
    REPS,
    alerts,
    card_of,
    date_tokens,
    dm_messages,
    dm_posts,
    lead,
    local,
    new_lead,
    other_rep,
    policy_text,
    posts,
    text_of,
)


def test_the_assignee_gets_exactly_one_dm_with_the_lead_deadline_and_buttons(box: Sandbox):
    created = new_lead(
        box,
        name="Dana Whitfield",
        company="Northwind",
        score=82,
        source="pricing quiz",
        email="dana@northwind.example",
    )
    owner = created["assignee"]
    assert owner in REPS
    [post] = dm_posts(box, owner)
    assert post.params["channel"] == box.slack.dm_channel_of(owner)
    for rep in REPS:
        if rep != owner:
            assert dm_messages(box, rep) == []

    card = card_of(box, owner, created["id"])
    shown = text_of(card)
    for fact in ("Dana Whitfield", "Northwind", "82", "pricing quiz", "dana@northwind.example"):
        assert fact in shown
    due = datetime.fromisoformat(created["first_contact_due"].replace("Z", "+00:00"))
    assert due in date_tokens(shown)
    assert "4h" in shown and "business time left" in shown  # 08:40 → the whole window left

    [actions] = [b for b in card.blocks if b["type"] == "actions"]
    buttons = {e["action_id"]: e["value"] for e in actions["elements"]}
    assert buttons == {action.value: created["id"] for action in ActionId}


def test_each_new_lead_gets_its_own_card(box: Sandbox):
    first, second = new_lead(box), new_lead(box)
    assert first["assignee"] != second["assignee"]  # round robin
    assert len(dm_posts(box, first["assignee"])) == 1
    assert len(dm_posts(box, second["assignee"])) == 1
    assert len(posts(box)) == 2


def test_the_email_never_reaches_the_sla_channel(make_box):
    # max_open = 1: the second lead finds nobody and is announced in the channel.
    box: Sandbox = make_box(policy_text(max_open=1))
    emails = []
    for n in range(4):
        email = f"secret{n}@example.com"
        emails.append(email)
        box.post_lead(
            {
                "external_id": f"e-{n}",
                "score": 90,
                "name": f"Lead {n}",
                "company": "Acme",
                "email": email,
            }
        )
    assert lead(box, "lead-4")["status"] == "unassigned"
    box.tick(local(7, 13, 1))  # first-contact breaches for the three assigned leads
    box.tick(local(7, 17, 31))  # daily summary
    box.slash(MANAGER, "/lead", f"reassign lead-1 <@{other_rep(lead(box, 'lead-1')['assignee'])}>")

    channel_posts = posts(box, CHANNEL)
    channel_edits = [c for c in box.slack.calls("chat.update") if c.params["channel"] == CHANNEL]
    seen = [text_of(c.params) for c in channel_posts + channel_edits]
    seen += [text_of(m) for m in box.slack.messages(CHANNEL)]
    assert len(channel_posts) >= 3  # unassigned notice, breaches, summary
    assert any("lead-1" in s for s in seen) and any("lead-4" in s for s in seen)
    for email in emails:
        assert not any(email in s for s in seen), email
    # …while the owners' DMs do show it
    owner = lead(box, "lead-2")["assignee"]
    assert "secret1@example.com" in text_of(card_of(box, owner, "lead-2"))


def mrkdwn_of(params: dict) -> list[str]:
    """The parts of a message Slack reads as mrkdwn: its text and every mrkdwn text object."""
    found = [str(params.get("text") or "")]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    blocks = params.get("blocks")
    walk(json.loads(blocks) if isinstance(blocks, str) else blocks)
    return found


def test_what_a_sender_wrote_cannot_ping_a_channel_or_forge_a_link(box: Sandbox):
    name, company = "<!channel> Dana", "<https://evil.example|Click> & Co"
    owner = new_lead(box, name=name, company=company)["assignee"]
    box.tick(local(7, 13, 1))
    sent = posts(box) + box.slack.calls("chat.update")
    seen = [text for call in sent for text in mrkdwn_of(call.params)]
    assert len(sent) >= 4 and not any("<!channel>" in t or "<https://evil" in t for t in seen)
    [to_channel] = alerts(box, CHANNEL, BREACH)
    shown = "&lt;!channel&gt; Dana (&lt;https://evil.example|Click&gt; &amp; Co)"
    assert shown in to_channel.params["text"]
    assert lead(box, "lead-1")["name"] == name  # stored and served as sent
    card = card_of(box, owner, "lead-1")
    assert card.blocks[0]["text"]["text"] == f"lead-1: {name} ({company})"  # plain text header
