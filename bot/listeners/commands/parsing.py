"""Reading slash-command text: words, lead ids, channels, outcomes, mentions, dates.

Every failure is a `UsageError` that says what was wrong and what would work.
"""

from __future__ import annotations

import difflib
import re
from datetime import date

from bot.blocks.mrkdwn import unescape
from bot.errors import UsageError
from sla.lead import AttemptChannel, AttemptOutcome, parse_lead_ref
from storage.models import TEXT_LIMIT

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
CHANNELS = ", ".join(f"`{c}`" for c in AttemptChannel)
OUTCOMES = ", ".join(f"`{o}`" for o in AttemptOutcome)


def words(text: str | None) -> list[str]:
    return (text or "").split()


def lead_ref(word: str | None, usage: str) -> str:
    if not word:
        raise UsageError(f"Which lead? Usage: `{usage}`")
    if parse_lead_ref(word) is None:
        raise UsageError(f"`{word}` is not a lead id; write it like `lead-42`. Usage: `{usage}`")
    return word


def attempt_channel(word: str | None) -> AttemptChannel:
    if not word:
        raise UsageError(
            f"How did you reach out? Add a channel: {CHANNELS}. "
            "Example: `/attempt lead-42 call no-answer`"
        )
    try:
        return AttemptChannel(word.lower())
    except ValueError:
        hint = _closest(word, [c.value for c in AttemptChannel])
        raise UsageError(f"`{word}` is not a channel{hint}. Use one of {CHANNELS}.") from None


def maybe_outcome(rest: list[str]) -> tuple[AttemptOutcome | None, int]:
    """(outcome, words used) from the words after the channel: an outcome (`no answer` written
    as two words too), none (the words are the note), or a typo error."""
    if not rest:
        return None, 0
    word = rest[0]
    if [w.lower() for w in rest[:2]] == ["no", "answer"]:
        return AttemptOutcome.NO_ANSWER, 2
    normalized = word.lower().replace("_", "-")
    if normalized == "noanswer":
        normalized = "no-answer"
    try:
        return AttemptOutcome(normalized), 1
    except ValueError:
        close = difflib.get_close_matches(
            normalized, [o.value for o in AttemptOutcome], n=1, cutoff=0.75
        )
        if close:
            raise UsageError(
                f"`{word}` is not an outcome — did you mean `{close[0]}`? Outcomes: {OUTCOMES}."
            ) from None
        return None, 0


def free_text(rest: list[str], what: str) -> str | None:
    """A note or reason as the user typed it (Slack escapes `&`, `<`, `>` in command text),
    refused when longer than leadclock keeps."""
    text = unescape(" ".join(rest)) or None
    if text is not None and len(text) > TEXT_LIMIT:
        raise UsageError(
            f"That {what} has {len(text):,} characters; leadclock keeps up to {TEXT_LIMIT:,}. "
            "Shorten it and send the command again."
        )
    return text


def mention(word: str | None, usage: str) -> str:
    match = _MENTION.match(word or "")
    if not match:
        raise UsageError(f"Name the new owner with an @mention. Usage: `{usage}`")
    return match.group(1)


def iso_date(word: str, usage: str) -> date:
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise UsageError(
            f"`{word}` is not a date; write it like 2026-12-28. Usage: `{usage}`"
        ) from None


def _closest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word.lower(), options, n=1, cutoff=0.6)
    return f" — did you mean `{close[0]}`?" if close else ""
