"""Packing lines into blocks Slack takes: as few as hold them, none over its limit."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.blocks.limits import HEADER_TEXT, MESSAGE_BLOCKS, SECTION_TEXT, block_errors
from bot.blocks.message import contexts, cut, header, pack, sections
from bot.blocks.status import team_status
from sla.figures import figures, month_period
from sla.routing import RepConfig, RepStanding


def test_short_text_is_left_alone() -> None:
    assert cut("lead-1 due soon", 15) == "lead-1 due soon"


def test_a_long_text_ends_in_an_ellipsis_within_the_limit() -> None:
    assert cut("abcdefghij", 5) == "abcd…"


def test_a_cut_never_leaves_half_a_mention_date_token_or_entity() -> None:
    token = "<!date^1796659200^{date_short_pretty} at {time}|Mon Dec 07 13:00 EST>"
    assert cut(f"due {token} · owner", 30) == "due …"
    assert cut("owner <@U0ALICE> and <@U0BOB>", 26) == "owner <@U0ALICE> and …"
    assert cut("Smith &amp; Jones &lt;ceo&gt;", 22) == "Smith &amp; Jones …"


def test_lines_share_a_group_while_they_fit() -> None:
    assert pack(["aaa", "bbb", "ccc", "dd"], limit=7) == [["aaa", "bbb"], ["ccc", "dd"]]


def test_a_line_too_long_alone_is_cut_into_its_own_group() -> None:
    assert pack(["aa", "bbbbbbbbbb", "cc"], limit=6) == [["aa"], ["bbbbb…"], ["cc"]]


def test_nothing_to_pack_is_no_blocks() -> None:
    assert pack([]) == [] and sections([]) == [] and contexts([]) == []


def test_150_alert_lines_fit_in_a_few_sections() -> None:
    lines = [
        f"• lead-{n} Dana Whitfield {n} (Northwind): first contact was due " + "x" * 120
        for n in range(150)
    ]
    blocks = sections(lines)
    assert len(blocks) < MESSAGE_BLOCKS and block_errors(blocks, max_blocks=MESSAGE_BLOCKS) == []
    assert "\n".join(b["text"]["text"] for b in blocks).split("\n") == lines


@given(st.lists(st.text(alphabet="ab<>&; \n", max_size=4000), max_size=30))
def test_packs_hold_every_line_in_order_and_stay_valid(lines: list[str]) -> None:
    lines = [line or "-" for line in lines]  # Slack refuses empty text; callers never send it
    groups = pack(lines)
    assert [line for group in groups for line in group] == [
        cut(line, SECTION_TEXT) for line in lines
    ]
    for group in groups:
        assert len("\n".join(group)) <= SECTION_TEXT
    for earlier, later in itertools.pairwise(groups):
        assert len("\n".join(earlier)) + 1 + len(later[0]) > SECTION_TEXT  # no room was wasted
    assert block_errors(sections(lines), max_blocks=len(lines) or 1) == []
    assert block_errors(contexts(lines), max_blocks=len(lines) or 1) == []


def test_a_long_header_is_cut_with_an_ellipsis() -> None:
    text = header("lead-1: " + "A" * 300)["text"]["text"]
    assert len(text) == HEADER_TEXT and text.endswith("A…")
    assert header("lead-1: Dana")["text"]["text"] == "lead-1: Dana"


def test_team_status_for_a_large_team_stays_valid() -> None:
    standings = [
        RepStanding(RepConfig(f"U0REP{n:03d}"), open_leads=n % 30, away=n % 7 == 0, turn=None)
        for n in range(200)
    ]
    period = month_period(2026, 12, UTC)
    status = team_status(
        figures([], period, target=150, now=datetime(2026, 12, 7, tzinfo=UTC)), standings
    )
    assert block_errors(status.blocks, max_blocks=MESSAGE_BLOCKS) == []
    shown = "".join(
        e["text"] for b in status.blocks if b["type"] == "context" for e in b["elements"]
    )
    assert all(f"<@U0REP{n:03d}>" in shown for n in range(200))
