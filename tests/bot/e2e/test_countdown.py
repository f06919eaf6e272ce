"""The DM card's countdown: edited in place at business-time marks, true in between, never stale."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.sandbox import Sandbox
from tests.bot.e2e.conftest import card_of, local, new_lead, reply, updates_of


def deadline_line(message) -> str:
    """The card's section that says when the next touch is due and how much time is left."""
    blocks = message.params["blocks"] if hasattr(message, "params") else message.blocks
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return next(b["text"]["text"] for b in blocks if "due" in b.get("text", {}).get("text", ""))


def test_the_card_counts_down_at_marks_and_holds_true_in_between(box: Sandbox):
    owner = new_lead(box)["assignee"]  # Mon 08:40; first contact due 13:00 (09:00 + 4h)
    card = card_of(box, owner, "lead-1")
    assert "3–4h of business time left" in deadline_line(card)

    def edits() -> list:
        return updates_of(box, card)

    box.tick(local(7, 9, 30))
    assert edits() == []  # 3h30m left: "3–4h" is still true
    expected = [
        ((10, 0), "2–3h of business time left"),
        ((11, 0), "1–2h of business time left"),
        ((12, 0), "30m–1h of business time left"),
        ((12, 30), "15–30m of business time left"),
        ((12, 45), "5–15m of business time left"),
        ((12, 55), "5m or less of business time left"),
    ]
    for count, ((hour, minute), text) in enumerate(expected, start=1):
        box.tick(local(7, hour, minute) - timedelta(seconds=1))
        assert len(edits()) == count - 1, (hour, minute)  # nothing before the mark
        box.tick(local(7, hour, minute))
        assert len(edits()) == count, (hour, minute)
        assert text in deadline_line(edits()[-1])

    box.tick(local(7, 13, 0, 1))  # the breach edits it once more, and "overdue" stays true
    assert len(edits()) == len(expected) + 1
    assert "was due" in deadline_line(edits()[-1])
    assert "overdue" in deadline_line(edits()[-1])
    box.tick(local(7, 16, 0))
    box.tick(local(8, 10, 0))
    assert len(edits()) == len(expected) + 1


def test_a_countdown_pauses_overnight_and_moves_on_at_the_opening(box: Sandbox):
    owner = new_lead(box)["assignee"]
    box.clock.set(local(7, 10, 0))
    reply(box.slash(owner, "/attempt", "lead-1 call no-answer"))  # follow-up due Tue 10:00
    card = card_of(box, owner, "lead-1")

    def last() -> str:
        return deadline_line(updates_of(box, card)[-1])

    assert "6–8h of business time left" in last()
    box.tick(local(7, 16, 0))
    assert "1–2h of business time left" in last()
    seen = len(updates_of(box, card))
    box.tick(local(7, 16, 59))
    box.tick(local(8, 8, 59))  # 1h left at Monday's closing, and all night: still "1–2h"
    assert len(updates_of(box, card)) == seen
    box.tick(local(8, 9, 0))  # the 1h mark fell on the closing time: edited at the opening
    assert len(updates_of(box, card)) == seen + 1
    assert "30m–1h of business time left" in last()
