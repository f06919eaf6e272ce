"""End-to-end fixtures: the whole app on loopback (`bot.sandbox.Sandbox`) on each DB backend.

Everything real runs: waitress + Flask, Bolt with signature checks, the database, the courier
and slack_sdk against the Slack stand-in. The only seams are the ones the code offers: the
`ManualClock` (time moves only when a test says so) and the `sleep` of `SlackApi` retries and
of the courier's `ChannelPacer`, which are recorded instead of slept so no test waits on time.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import bot.courier
from bot.blocks.limits import MESSAGE_BLOCKS, MESSAGE_TEXT, block_errors
from bot.pacing import ChannelPacer
from bot.sandbox import HttpAnswer, Sandbox
from bot.slack_api import DEFAULT_BASE_URL, SlackApi
from sla.policy_file import parse_policy

NEW_YORK = ZoneInfo("America/New_York")
ALICE, BOB, CARA = "U0ALICE", "U0BOB", "U0CARA"
REPS = (ALICE, BOB, CARA)
MANAGER = "U0MGR"
CHANNEL = "C0SLA"


def local(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """An instant in New York, December 2026 (the 7th is a Monday)."""
    return datetime(2026, 12, day, hour, minute, second, tzinfo=NEW_YORK)


START = local(7, 8, 40)  # Monday, twenty minutes before opening


def policy_text(
    *,
    max_open: int = 30,
    reassign_on_breach: bool = False,
    reminders: str = '["50%", "15m"]',
    follow_up_within: str = "8h",
) -> str:
    reps = "".join(f'\n[[reps]]\nslack_id = "{rep}"\nmax_open = {max_open}\n' for rep in REPS)
    return f"""
[sla]
qualify_score_above = 65
first_contact_within = "4h"
min_attempts = 5
follow_up_within = "{follow_up_within}"
monthly_qualified_target = 150
reminders = {reminders}
reassign_on_breach = {str(reassign_on_breach).lower()}

[hours]
timezone = "America/New_York"
mon = "09:00-17:00"
tue = "09:00-17:00"
wed = "09:00-17:00"
thu = "09:00-17:00"
fri = "09:00-17:00"
holidays = ["2026-12-25"]

[routing]
strategy = "round_robin"
{reps}
[slack]
sla_channel = "{CHANNEL}"
managers = ["{MANAGER}"]
"""


POLICY = policy_text()


# --- time formats ----------------------------------------------------------------------------


def z(when: datetime) -> str:
    """An instant as the HTTP API writes it: UTC ISO 8601 with `Z`."""
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


DATE_TOKEN = re.compile(r"<!date\^(\d+)\^[^|>]*\|[^>]*>")


def date_tokens(text: str) -> list[datetime]:
    return [datetime.fromtimestamp(int(u), UTC) for u in DATE_TOKEN.findall(text)]


# --- waiting is recorded, never slept --------------------------------------------------------


@dataclass
class Waits:
    slack: list[float] = field(default_factory=list)  # SlackApi retry back-offs
    pacing: list[float] = field(default_factory=list)  # ChannelPacer turns


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> Waits:
    """Every `SlackApi.connect` and every default `ChannelPacer` made during the test records
    its waits here instead of sleeping (the classes take `sleep` for exactly this)."""
    recorded = Waits()
    connect = SlackApi.connect.__func__  # type: ignore[attr-defined]

    def recording_connect(cls, token, base_url=DEFAULT_BASE_URL, **options):
        options.setdefault("sleep", recorded.slack.append)
        return connect(cls, token, base_url, **options)

    monkeypatch.setattr(SlackApi, "connect", classmethod(recording_connect))
    monkeypatch.setattr(
        bot.courier, "ChannelPacer", functools.partial(ChannelPacer, sleep=recorded.pacing.append)
    )
    return recorded


# --- the sandbox ---------------------------------------------------------------------------


@pytest.fixture
def make_box(database_url: str, waits: Waits) -> Iterator[Callable[..., Sandbox]]:
    """Start a sandbox on this test's database, with a policy other than the default."""
    with ExitStack() as stack:

        def make(policy: str = POLICY, *, start: datetime = START) -> Sandbox:
            sandbox = Sandbox(
                database_url=database_url,
                policy=parse_policy(policy, "test policy"),
                start=start,
            )
            return stack.enter_context(sandbox)

        yield make


@pytest.fixture
def box(make_box: Callable[..., Sandbox]) -> Sandbox:
    return make_box()


# --- leads over HTTP -----------------------------------------------------------------------

_numbers = iter(range(1, 1_000_000))


def lead_payload(**overrides: Any) -> dict[str, Any]:
    n = next(_numbers)
    payload: dict[str, Any] = {
        "external_id": f"ext-{n}",
        "score": 80,
        "name": f"Dana Whitfield {n}",
        "email": f"dana{n}@northwind.example",
        "company": "Northwind",
        "source": "pricing quiz",
    }
    payload.update(overrides)
    return payload


def new_lead(box: Sandbox, **overrides: Any) -> dict[str, Any]:
    """POST a qualified lead and return the 201 answer's JSON."""
    answer = box.post_lead(lead_payload(**overrides))
    assert answer.status == 201, answer.body
    return answer.json()


def leads_of_one_rep(box: Sandbox, count: int) -> str:
    """Give `count` leads to one rep (the others are away), each qualified a minute after the
    last from Monday 09:00, so lead-1 is the most urgent; returns the rep."""
    for rep in REPS[1:]:
        assert box.slash(rep, "/sla", "away").status == 200
    for n in range(count):
        box.clock.set(local(7, 9) + timedelta(minutes=n))
        assert new_lead(box)["assignee"] == REPS[0]
    return REPS[0]


def lead(box: Sandbox, lead_id: str) -> dict[str, Any]:
    answer = box.get_lead(lead_id)
    assert answer.status == 200, answer.body
    return answer.json()


def intake_signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v1:" + timestamp.encode() + b":" + body
    return "v1=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_intake(
    box: Sandbox,
    body: bytes,
    *,
    age: timedelta = timedelta(0),
    secret: str | None = None,
    signature: str | None = None,
) -> HttpAnswer:
    """POST /leads with the HMAC scheme, stamped `age` before the app's clock."""
    ts = str(int((box.clock() - age).timestamp()))
    sig = signature or intake_signature(secret or box.intake_secret, ts, body)
    headers = {
        "Content-Type": "application/json",
        "X-Leadclock-Timestamp": ts,
        "X-Leadclock-Signature": sig,
    }
    return box.request("POST", "/leads", body, headers)


# --- what Slack saw --------------------------------------------------------------------------


def text_of(message: Any) -> str:
    """Everything a reader of a message, reply or view sees: text plus every block, as JSON."""
    if isinstance(message, HttpAnswer):
        message = message.json() or {}
    if isinstance(message, dict):
        text, blocks = str(message.get("text") or ""), message.get("blocks") or []
    else:
        text, blocks = message.text, message.blocks or []
    return text + json.dumps(blocks, ensure_ascii=False)


def reply(answer: HttpAnswer) -> str:
    """A slash command's ephemeral reply (asserting it is one, and one Slack would show: it
    comes back in the HTTP answer, so the stand-in never sees it to check its blocks)."""
    assert answer.status == 200, answer.body
    body = answer.json()
    assert body["response_type"] == "ephemeral", body
    assert len(body.get("text") or "") <= MESSAGE_TEXT, body
    assert block_errors(body.get("blocks", []), max_blocks=MESSAGE_BLOCKS) == [], body
    return text_of(body)


def dm_messages(box: Sandbox, user: str) -> list[Any]:
    channel = box.slack.dm_channel_of(user)
    return box.slack.messages(channel) if channel else []


def posts(box: Sandbox, channel: str | None = None) -> list[Any]:
    """chat.postMessage calls that Slack accepted, to `channel` when given."""
    return [
        c
        for c in box.slack.calls("chat.postMessage")
        if c.error is None
        and c.http_status == 200
        and (channel is None or c.params.get("channel") == channel)
    ]


def dm_posts(box: Sandbox, user: str) -> list[Any]:
    channel = box.slack.dm_channel_of(user)
    return posts(box, channel) if channel else []


def card_of(box: Sandbox, user: str, lead_id: str) -> Any:
    """The lead's DM card in the user's DMs (the message whose header names the lead)."""
    cards = [
        m
        for m in dm_messages(box, user)
        if m.blocks
        and m.blocks[0].get("type") == "header"
        and m.blocks[0]["text"]["text"].startswith(f"{lead_id}:")
    ]
    assert len(cards) == 1, [m.text for m in dm_messages(box, user)]
    return cards[0]


def other_rep(owner: str) -> str:
    return next(rep for rep in REPS if rep != owner)


def updates_of(box: Sandbox, message: Any) -> list[Any]:
    """Accepted chat.update calls that edited `message` (same channel and ts)."""
    return [
        c
        for c in box.slack.calls("chat.update")
        if c.error is None
        and c.params.get("channel") == message.channel
        and c.params.get("ts") == message.ts
    ]


WRITES = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.publish")


def writes(box: Sandbox) -> list[Any]:
    """Every call that would change what someone sees in Slack (auth.test etc. left out)."""
    return [c for c in box.slack.calls() if c.method in WRITES]


def alerts(box: Sandbox, recipient: str, title: str) -> list[Any]:
    """Accepted posts to a user's DM or a channel whose text starts with an alert title
    (":rotating_light: SLA breach", ":alarm_clock: Deadline coming up", …)."""
    target = recipient
    if recipient.startswith(("U", "W")):
        target = box.slack.dm_channel_of(recipient) or "-"
    return [c for c in posts(box, target) if str(c.params.get("text", "")).startswith(title)]


BREACH = ":rotating_light: SLA breach"
NUDGE = ":alarm_clock: Deadline coming up"
UNASSIGNED = ":warning: Lead waiting for an owner"
