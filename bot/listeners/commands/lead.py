"""`/lead LEAD`, `/lead list`, `/lead disqualify|reject|convert|reassign …`, `/lead help`."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext
from sqlmodel import Session

from bot.blocks.dates import date_token
from bot.blocks.lead_card import cadence_of, lead_details, lead_list
from bot.blocks.mrkdwn import escape
from bot.blocks.replies import LEAD_HELP
from bot.errors import UnknownLead
from bot.flows.access import find_lead
from bot.flows.closing import close_lead
from bot.flows.reassign import reassign_lead
from bot.listeners.commands import parsing
from bot.listeners.context import runtime_of
from bot.listeners.once import Reply, ephemeral, run_once, run_read
from bot.runtime import Runtime
from sla.lead import LeadStatus, parse_lead_ref
from storage.repositories import leads

_CLOSE = {
    "disqualify": LeadStatus.DISQUALIFIED,
    "reject": LeadStatus.REJECTED,
    "convert": LeadStatus.CONVERTED,
}


def lead_command(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    runtime = runtime_of(context)
    args = parsing.words(body.get("text"))
    actor = body["user_id"]
    verb = args[0].lower() if args else "help"
    if verb == "help":
        ack(**ephemeral(LEAD_HELP))
        return
    if verb == "list":
        ack(**run_read(runtime, lambda session: _list(session, runtime, actor)))
        return
    if verb in _CLOSE:
        usage = f"/lead {verb} LEAD" + (" REASON…" if verb != "convert" else "")
        reference = parsing.lead_ref(args[1] if len(args) > 1 else None, usage)
        reason = parsing.free_text(args[2:], "reason")
        ack(
            **run_once(
                runtime,
                body,
                lambda session: _close(session, runtime, actor, reference, _CLOSE[verb], reason),
            )
        )
        return
    if verb == "reassign":
        usage = "/lead reassign LEAD @user"
        reference = parsing.lead_ref(args[1] if len(args) > 1 else None, usage)
        to = parsing.mention(args[2] if len(args) > 2 else None, usage)
        ack(
            **run_once(
                runtime, body, lambda session: _reassign(session, runtime, actor, reference, to)
            )
        )
        return
    if parse_lead_ref(args[0]) is None:
        raise parsing.UsageError(f"I don't know `/lead {args[0]}`.\n{LEAD_HELP}")
    if len(args) > 1:
        raise parsing.UsageError(
            f"`/lead {args[0]}` shows the lead and takes nothing more. To act on it, put the verb "
            f"first, e.g. `/lead convert {args[0]}` or `/lead disqualify {args[0]} REASON…`.\n"
            f"{LEAD_HELP}"
        )
    reference = args[0]
    ack(**run_read(runtime, lambda session: _show(session, runtime, reference)))


def _show(session: Session, runtime: Runtime, reference: str) -> Reply:
    lead = find_lead(session, reference)
    record = leads.load_record(session=session, lead_id=lead.id or 0)
    if record is None:
        raise UnknownLead(reference)
    message = lead_details(record, policy=runtime.policy, now=runtime.clock())
    return ephemeral(message.text, message.blocks)


def _list(session: Session, runtime: Runtime, actor: str) -> Reply:
    records = [
        r
        for lead in leads.open_leads_of(session=session, assignee=actor)
        if (r := leads.load_record(session=session, lead_id=lead.id or 0)) is not None
    ]
    message = lead_list(records, policy=runtime.policy, now=runtime.clock())
    return ephemeral(message.text, message.blocks)


def _close(
    session: Session,
    runtime: Runtime,
    actor: str,
    reference: str,
    status: LeadStatus,
    reason: str | None,
) -> Reply:
    zone = runtime.policy.calendar.zone
    record = close_lead(
        session,
        reference,
        actor=actor,
        status=status,
        reason=reason,
        policy=runtime.policy,
        now=runtime.clock(),
        when=lambda t: date_token(t, zone),
    )
    verdicts = {
        LeadStatus.DISQUALIFIED: "disqualified",
        LeadStatus.REJECTED: "rejected as not qualified (counted on marketing's side)",
        LeadStatus.CONVERTED: "converted :tada:",
    }
    return ephemeral(f"*{record.id}* {escape(record.display_name)} {verdicts[status]}.")


def _reassign(session: Session, runtime: Runtime, actor: str, reference: str, to: str) -> Reply:
    done = reassign_lead(
        session, reference, actor=actor, to=to, policy=runtime.policy, now=runtime.clock()
    )
    state = cadence_of(done.record, runtime.policy)
    due = state.next_due if state else None
    keep = f" The deadline stays {date_token(due, runtime.policy.calendar.zone)}." if due else ""
    text = f"*{done.record.id}* now belongs to <@{to}>; they get a DM.{keep}"
    if done.cautions:
        text += "\n:warning: Note: " + "; ".join(done.cautions) + "."
    return ephemeral(text)
