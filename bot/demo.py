"""`leadclock demo`: one business day of the SLA loop, locally, printed as Slack would show it.

Everything real runs — HTTP intake, signed slash commands and button clicks through Bolt,
SQLite in a temporary folder, the scheduler pass, the courier and slack_sdk — against the
Slack Web API stand-in. The clock is moved through a Monday in New York.
"""

from __future__ import annotations

import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.blocks.status import counted
from bot.ids import ActionId
from bot.sandbox import Sandbox
from sla.policy_file import parse_policy

NEW_YORK = ZoneInfo("America/New_York")
REPS = {"U0ALICE": "Alice", "U0BOB": "Bob", "U0CARA": "Cara"}
MANAGER = "U0MGR"
CHANNEL = "C0SLA"

DEMO_POLICY = """
# Everything left out takes the built-in defaults: the contract's example policy (New York,
# Mon–Fri 09:00–17:00, 4h to first contact, 5 attempts 8h apart, channel C0SLA, manager U0MGR).
[[reps]]
slack_id = "U0ALICE"

[[reps]]
slack_id = "U0BOB"

[[reps]]
slack_id = "U0CARA"
"""

LEADS: list[dict[str, Any]] = [
    {
        "external_id": "hs-1001",
        "score": 82,
        "name": "Dana Whitfield",
        "company": "Northwind",
        "email": "dana@northwind.example",
        "source": "pricing quiz",
    },
    {
        "external_id": "hs-1002",
        "score": 71,
        "name": "Ravi Patel",
        "company": "Globex",
        "email": "ravi@globex.example",
        "source": "webinar",
    },
    {
        "external_id": "hs-1003",
        "score": 90,
        "name": "Mia Chen",
        "company": "Initech",
        "email": "mia@initech.example",
        "source": "pricing quiz",
    },
    {
        "external_id": "hs-1004",
        "score": 48,
        "name": "Tom Rivers",
        "company": "Hooli",
        "source": "ebook",
    },
]


def local(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 7, hour, minute, tzinfo=NEW_YORK)


def run_demo() -> int:
    with tempfile.TemporaryDirectory(prefix="leadclock-demo-") as folder:
        url = f"sqlite:///{Path(folder) / 'demo.db'}"
        with Sandbox(
            database_url=url, policy=parse_policy(DEMO_POLICY, "demo policy"), start=local(8, 40)
        ) as box:
            _play(box)
            _show(box)
    return 0


def _say(when: datetime, text: str) -> None:
    print(f"  {when.astimezone(NEW_YORK):%a %H:%M}  {text}")


def _play(box: Sandbox) -> None:
    print("leadclock demo — Monday 7 Dec 2026, New York, business hours Mon–Fri 09:00–17:00\n")
    print("What happened:")
    ids: list[str] = []
    for payload in LEADS:
        answer = box.post_lead(payload).json()
        ids.append(answer["id"])
        owner = (
            f" → {REPS.get(answer['assignee'], answer['assignee'])}" if answer["assignee"] else ""
        )
        _say(
            box.clock(),
            f"POST /leads {payload['external_id']} (score {payload['score']}): "
            f"{answer['id']} {answer['status']}{owner}, first contact due "
            f"{_local_text(answer['first_contact_due'])}",
        )
    repeat = box.post_lead(LEADS[0]).json()
    _say(
        box.clock(),
        f"POST /leads {LEADS[0]['external_id']} again: duplicate={repeat['duplicate']}, "
        "nothing changed",
    )
    dana, ravi, mia = ids[0], ids[1], ids[2]
    owner = {lead: box.get_lead(lead).json()["assignee"] for lead in (dana, ravi, mia)}

    box.clock.set(local(9, 20))
    _command(box, owner[dana], "/attempt", f"{dana} call no-answer left a voicemail")
    _command(box, owner[dana], "/attempt", f"{dana} fax")
    _command(box, owner[ravi], "/attempt", f"{dana} email")
    box.clock.set(local(10, 5))
    box.click(owner[ravi], ActionId.LOG_EMAIL.value, ravi)
    _say(box.clock(), f"{REPS[owner[ravi]]} clicks [Log email] on the {ravi} card")
    for hour, minute in ((11, 0), (12, 45), (13, 0), (13, 30)):
        _tick(box, local(hour, minute))
    _command(box, owner[dana], "/lead", f"disqualify {dana} not a fit")
    box.clock.set(local(14, 0))
    _command(box, owner[mia], "/attempt", f"{mia} call connected booked a demo")
    _command(box, MANAGER, "/lead", f"reassign {dana} <@{owner[ravi]}|{REPS[owner[ravi]].lower()}>")
    _tick(box, local(14, 5))
    _command(box, owner[mia], "/lead", f"convert {mia}")
    _command(box, MANAGER, "/sla", "")
    _tick(box, local(17, 30))


def _tick(box: Sandbox, now: datetime) -> None:
    """One scheduler pass, as `leadclock tick --now` runs it, and what it did."""
    result = box.tick(now)
    done = [
        counted(result.sweep.reminders, "reminder"),
        counted(result.sweep.breaches, "breach"),
    ]
    if result.digests:
        done.append(counted(result.digests, "digest"))
    _say(box.clock(), f"tick: {', '.join(done)}; {counted(result.sent, 'Slack message')} sent")


def _command(box: Sandbox, user: str, command: str, text: str) -> None:
    answer = box.slash(user, command, text).json() or {}
    who = REPS.get(user, "Manager")
    _say(box.clock(), f"{who}: {command} {text}".rstrip())
    for line in _readable(answer.get("text", "")).splitlines():
        print(f"               ↳ {line}")


def _show(box: Sandbox) -> None:
    for user, name in (*REPS.items(), (MANAGER, "The manager")):
        channel = box.slack.dm_channel_of(user)
        print(f"\n{name}'s DMs with leadclock:")
        for message in box.slack.messages(channel) if channel else []:
            edited = f" (edited {message.edits}×)" if message.edits else ""
            print(f"  ┌ message{edited}")
            for line in _message_lines(message.text, message.blocks):
                print(f"  │ {line}")
    print(f"\n#{CHANNEL} (SLA channel):")
    for message in box.slack.messages(CHANNEL):
        for line in _message_lines(message.text, message.blocks):
            print(f"  │ {line}")
    print(
        "\nSlack Web API calls made:",
        ", ".join(f"{method} ×{count}" for method, count in _call_counts(box).items()),
    )


def _call_counts(box: Sandbox) -> dict[str, int]:
    counts: dict[str, int] = {}
    for call in box.slack.calls():
        counts[call.method] = counts.get(call.method, 0) + 1
    return counts


def _message_lines(text: str, blocks: list[dict[str, Any]] | None) -> list[str]:
    parts: list[str] = []
    for block in blocks or []:
        if block.get("type") in ("section", "header"):
            parts.append(block["text"]["text"])
        elif block.get("type") == "context":
            parts.extend(e.get("text", "") for e in block["elements"])
        elif block.get("type") == "actions":
            parts.append("  ".join(f"[{e['text']['text']}]" for e in block["elements"]))
    return _readable("\n".join(parts) if parts else text).splitlines()


_DATE_TOKEN = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_MENTION = re.compile(r"<@(\w+)(?:\|[^>]*)?>")


def _readable(mrkdwn: str) -> str:
    text = _DATE_TOKEN.sub(r"\1", mrkdwn)
    text = _MENTION.sub(lambda m: "@" + REPS.get(m.group(1), "manager"), text)
    return text.replace("*", "")


def _local_text(iso: str | None) -> str:
    if not iso:
        return "—"
    when = datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(NEW_YORK)
    return f"{when:%a %H:%M}"
