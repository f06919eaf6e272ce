"""The kinds of notification the outbox holds, and the titles of grouped alerts."""

from __future__ import annotations

from enum import StrEnum


class NoticeKind(StrEnum):
    CARD = "card"  # the lead's DM card: posted once, then edited in place
    BREACH = "breach"  # one line per breach; grouped per recipient and pass
    NUDGE = "nudge"  # reminder before a deadline
    UNASSIGNED = "unassigned"  # nobody could take a lead
    DIGEST = "digest"  # daily summary / weekly digest, sent as rendered


SOLO = frozenset({NoticeKind.CARD, NoticeKind.DIGEST})
"""Kinds sent one message per notification; the others are grouped per recipient."""


TITLES: dict[NoticeKind, str] = {
    NoticeKind.BREACH: ":rotating_light: SLA breach",
    NoticeKind.NUDGE: ":alarm_clock: Deadline coming up",
    NoticeKind.UNASSIGNED: ":warning: Lead waiting for an owner",
}
