"""A rendered Slack message (the notification text plus its blocks), and the blocks it is made of.

Text that grows with the data (a line per lead, attempt or alert) goes through `pack`, never
into one block: a section or context text over Slack's 3,000 characters gets the whole message
refused (see `bot.blocks.limits`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.blocks.limits import CONTEXT_TEXT, HEADER_TEXT, SECTION_TEXT

Block = dict[str, Any]


@dataclass(frozen=True)
class Message:
    text: str
    blocks: list[Block] = field(default_factory=list)


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def header(text: str) -> Block:
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": _cut_plain(text, HEADER_TEXT), "emoji": True},
    }


def _cut_plain(text: str, limit: int) -> str:
    """Plain text has no markup to keep whole: cut at the limit, marked with "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def divider() -> Block:
    return {"type": "divider"}


def cut(text: str, limit: int) -> str:
    """`text` if it has at most `limit` characters, else as much as fits followed by "…".

    The cut never splits a `<…>` token (a mention, a link, a `<!date…>`) or an `&…;` entity:
    half of one would show as raw markup, so the cut moves to just before it.
    """
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    opened = head.rfind("<")
    if opened > head.rfind(">"):
        head = head[:opened]
    entity = head.rfind("&")
    if entity >= 0 and ";" not in head[entity:]:
        head = head[:entity]
    return head + "…"


def pack(lines: Iterable[str], limit: int = SECTION_TEXT) -> list[list[str]]:
    """`lines`, in order, in as few groups as hold them with each group's lines joined by
    newlines at most `limit` characters long. A line is never split between groups; one
    longer than `limit` by itself is `cut` to fit."""
    groups: list[list[str]] = []
    size = 0
    for raw in lines:
        line = cut(raw, limit)
        if groups and size + 1 + len(line) <= limit:
            groups[-1].append(line)
            size += 1 + len(line)
        else:
            groups.append([line])
            size = len(line)
    return groups


def sections(lines: Iterable[str]) -> list[Block]:
    """`lines` in as few sections as Slack takes them in."""
    return [section("\n".join(group)) for group in pack(lines, SECTION_TEXT)]


def contexts(lines: Iterable[str]) -> list[Block]:
    """`lines` in as few context blocks as Slack takes them in (one text element each: a
    context's elements sit side by side, so lines spread over several would run together)."""
    return [context("\n".join(group)) for group in pack(lines, CONTEXT_TEXT)]
