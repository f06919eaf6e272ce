"""Slack's mrkdwn, both ways: text people and lead senders wrote, made safe to show and read back.

Slack reads `<…>` as links, mentions and `<!channel>` pings, and `&` starts an entity, so text we
did not write ourselves (a lead's name or company from the intake API, a note typed after
`/attempt`) is escaped wherever it goes into a message. Slack escapes the same three characters
in slash-command text (`should_escape` in the manifest), so free text from commands is unescaped
before it is stored and shown again.
"""

from __future__ import annotations

from storage.records import LeadRecord


def escape(text: str) -> str:
    """Make `text` show literally in mrkdwn: no links, mentions or pings."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Undo Slack's escaping of slash-command text (`&amp;` last, so `&amp;lt;` stays `&lt;`)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def lead_title(record: LeadRecord) -> str:
    """How any message names a lead: its id, name and company — never its email or phone."""
    return f"{record.id} {escape(record.display_name)}"
