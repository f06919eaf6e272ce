"""The lead as reps and managers see it: the DM card, the `/lead` card and `/lead list`."""

from __future__ import annotations

from datetime import datetime

from bot.blocks.dates import countdown, date_token, mention, time_left
from bot.blocks.limits import CONTEXT_TEXT, SECTION_TEXT
from bot.blocks.message import (
    Block,
    Message,
    context,
    contexts,
    cut,
    divider,
    header,
    section,
    sections,
)
from bot.blocks.mrkdwn import escape, lead_title
from bot.ids import ActionId
from sla.cadence import CadenceState, cadence_state
from sla.policy import Policy
from storage.records import AssignmentRecord, LeadRecord


def cadence_of(record: LeadRecord, policy: Policy) -> CadenceState | None:
    if record.first_contact_due is None:
        return None
    return cadence_state(policy.sla, record.first_contact_due, record.attempt_facts)


def _deadline_line(
    record: LeadRecord,
    state: CadenceState | None,
    policy: Policy,
    now: datetime,
    *,
    live: bool = False,
) -> str:
    """Where the lead stands. `live` is for the DM card, which stays on screen between edits: it
    gives time left as a countdown bracket instead of the exact figure of this moment."""
    zone = policy.calendar.zone
    if not record.status.is_open:
        return f"Closed as *{record.status}*"
    if state is None or state.next_due is None:
        if state is not None and state.connected:
            return (
                "Connected — no more attempts owed. "
                "`/lead convert` or `/lead disqualify` when done."
            )
        return f"Minimum of {policy.sla.min_attempts} attempts met — no attempt deadline."
    what = "First contact" if state.attempts == 0 else f"Attempt {state.attempts + 1}"
    if now > state.next_due:
        return f"*{what} was due* {date_token(state.next_due, zone)} · overdue"
    left = (countdown if live else time_left)(policy.calendar, now, state.next_due)
    return f"*{what} due* {date_token(state.next_due, zone)} · {left}"


def _facts(record: LeadRecord) -> str:
    parts = [f"*Score* {record.score:g}"]
    for label, value in (
        ("Source", record.source),
        ("Region", record.region),
        ("Segment", record.segment),
    ):
        if value:
            parts.append(f"*{label}* {escape(value)}")
    return " · ".join(parts)


def _attempt_progress(state: CadenceState | None, policy: Policy) -> str:
    if state is None:
        return ""
    count = f"{state.attempts} of {policy.sla.min_attempts} attempts logged"
    if state.first_contact_met is None:
        return count
    return f"{count} · first contact {'on time' if state.first_contact_met else 'late'}"


def _buttons(record: LeadRecord) -> Block:
    def button(action: ActionId, label: str) -> Block:
        return {
            "type": "button",
            "action_id": action.value,
            "value": record.id,
            "text": {"type": "plain_text", "text": label},
        }

    return {
        "type": "actions",
        "block_id": f"attempt:{record.id}",
        "elements": [
            button(ActionId.LOG_CALL, "Log call"),
            button(ActionId.LOG_EMAIL, "Log email"),
            button(ActionId.LOG_CONNECTED, "Connected"),
        ],
    }


def dm_card(
    record: LeadRecord, assignment: AssignmentRecord, *, policy: Policy, now: datetime
) -> Message:
    """The rep's live card: what the lead is, when the next touch is due, one-click logging."""
    state = cadence_of(record, policy)
    blocks: list[Block] = [
        header(f"{record.id}: {record.display_name}"),
        section(_facts(record) + (f"\n*Email* {escape(record.email)}" if record.email else "")),
    ]
    if assignment.ended_at is not None:
        successor = record.assignee if record.assignee != assignment.assignee else None
        blocks.append(
            section(f"Reassigned to {mention(successor)} — nothing more needed from you.")
        )
        return Message(text=f"{record.id} was reassigned", blocks=blocks)
    deadline = _deadline_line(record, state, policy, now, live=True)
    blocks.append(section(deadline))
    progress = _attempt_progress(state, policy)
    if progress:
        blocks.append(context(progress))
    if record.status.is_open:
        blocks.append(_buttons(record))
        blocks.append(context(f"Or type `/attempt {record.id} call no-answer left a message`"))
    text = f"{lead_title(record)}: {_plain(deadline)}"
    return Message(text=text, blocks=blocks)


def lead_details(record: LeadRecord, *, policy: Policy, now: datetime) -> Message:
    """`/lead LEAD`: the whole story, including why this rep and where the cadence stands."""
    state = cadence_of(record, policy)
    zone = policy.calendar.zone
    blocks: list[Block] = [
        header(f"{record.id}: {record.display_name}"),
        section(f"{_facts(record)}\n*Status* {record.status} · *Owner* {mention(record.assignee)}"),
        section(_deadline_line(record, state, policy, now)),
    ]
    if state is not None:
        blocks.append(context(_attempt_progress(state, policy)))
        refusal = state.refusal(lambda t: date_token(t, zone))
        blocks.append(context("Disqualify: " + (refusal or "allowed")))
    if record.routing_note:
        blocks.append(section(f"*Why {mention(record.assignee)}:* {record.routing_note}"))
    if len(record.assignments) > 1:
        owners = [
            f"• {date_token(a.assigned_at, zone)} {mention(a.assignee)} — {a.reason}"
            for a in record.assignments
        ]
        blocks += contexts(["*Owners*", *owners])
    if record.attempts:
        lines = [
            f"{i}. {a.channel}{' — ' + a.outcome if a.outcome else ''} · {date_token(a.at, zone)}"
            f" by {mention(a.by)}{' — ' + escape(a.note) if a.note else ''}"
            for i, a in enumerate(record.attempts, 1)
        ]
        blocks.append(divider())
        blocks += _attempt_blocks(lines)
    if record.breaches:
        lines = [
            f"{b.kind.replace('_', ' ')} deadline {date_token(b.deadline, zone)} missed"
            f" · owner then {mention(b.assignee)}"
            for b in record.breaches
        ]
        blocks += sections(["*Breaches*", *lines])
    if record.close_reason:
        blocks.append(context(cut(f"*Closed:* {escape(record.close_reason)}", CONTEXT_TEXT)))
    return Message(text=f"{lead_title(record)} ({record.status})", blocks=blocks)


ATTEMPTS_ROOM = 3 * SECTION_TEXT
"""Characters of attempt lines in a `/lead LEAD` reply: a lead's whole usual history (a line
without a note is about 100 characters) or four notes of the 2,000 characters an attempt
keeps, in at most seven sections, which with the rest of the card stays within the 50 blocks
and the roughly 12,000 characters (`msg_blocks_too_long`, undocumented) Slack takes in one
message. The latest attempts are the ones shown: they say most about where the lead stands."""


def _attempt_blocks(lines: list[str]) -> list[Block]:
    """The attempts under their heading: all of them, or the latest that fit in
    `ATTEMPTS_ROOM` after a heading that counts the earlier ones left out."""
    hidden = len(lines) - _fitting(lines[::-1], ATTEMPTS_ROOM)
    if not hidden:
        return sections(["*Attempts*", *lines])
    earlier = f"{hidden} earlier attempt{'s' if hidden != 1 else ''} not shown"
    return [section(f"*Attempts* · {earlier}"), *sections(lines[hidden:])]


LIST_ROOM = 2 * SECTION_TEXT
"""Characters of lead lines in a `/lead list` reply: some forty leads, the most urgent, which
is what a rep acts on from one reply, well inside what Slack takes in one message (it refuses
more than about 12,000 characters of blocks as `msg_blocks_too_long`, an undocumented limit);
the rest are counted. App Home, a view of 100 blocks, passes a larger `room`."""


def lead_list(
    records: list[LeadRecord], *, policy: Policy, now: datetime, room: int = LIST_ROOM
) -> Message:
    """`/lead list` and App Home: my open leads, most urgent first, each with its countdown;
    as many as fit in `room` characters, then how many more there are."""
    if not records:
        return Message(
            text="You have no open leads.", blocks=[section("You have no open leads. :tada:")]
        )

    def urgency(record: LeadRecord) -> datetime:
        state = cadence_of(record, policy)
        return (
            state.next_due if state and state.next_due else datetime.max.replace(tzinfo=now.tzinfo)
        )

    lines = []
    for record in sorted(records, key=urgency):
        state = cadence_of(record, policy)
        lines.append(
            f"*{record.id}* {escape(record.display_name)} — "
            f"{_deadline_line(record, state, policy, now)}"
        )
    text = f"You have {len(records)} open lead{'s' if len(records) != 1 else ''}"
    shown = _fitting(lines, room)
    blocks = [section(f"*{text}*"), *sections(lines[:shown])]
    if shown < len(lines):
        more = len(lines) - shown
        blocks.append(context(f"…and {more} more — `/lead LEAD` for any of them"))
    return Message(text=text, blocks=blocks)


def _fitting(lines: list[str], room: int) -> int:
    """How many of the leading `lines`, joined by newlines, fit in `room` characters."""
    used = -1  # the first line needs no newline before it
    for count, line in enumerate(lines):
        used += 1 + len(line)
        if used > room:
            return count
    return len(lines)


def _plain(mrkdwn: str) -> str:
    return mrkdwn.replace("*", "")
