"""`/sla` and the managers' part of App Home: both sides of the SLA, and who is available."""

from __future__ import annotations

from bot.blocks.message import Block, Message, context, header, section
from sla.figures import Figures
from sla.routing import RepStanding


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def team_status(figures: Figures, standings: list[RepStanding]) -> Message:
    f = figures
    marketing = (
        f"*Marketing* · {f.accepted} accepted of {f.target} target "
        f"({_percent(f.target_share)}) · {f.qualified} qualified, {f.rejected} rejected by "
        f"sales · {f.received} received in all"
    )
    sales = (
        f"*Sales* · first contact on time {_percent(f.on_time_rate)} "
        f"({f.contacted_on_time} of {f.contacted}) · {f.awaiting_overdue} waiting past deadline · "
        f"{f.breaches} breaches · {f.converted} converted, {f.disqualified} disqualified, "
        f"{f.open} open"
    )
    reps = [
        f"<@{s.rep.slack_id}> {s.open_leads}/{s.rep.max_open} open" + (" · away" if s.away else "")
        for s in standings
    ]
    blocks: list[Block] = [
        header(f"SLA status {f.period.label}"),
        section(marketing),
        section(sales),
    ]
    if reps:
        blocks.append(context("*Reps* " + " · ".join(reps)))
    return Message(
        text=f"SLA status {f.period.label}: {f.accepted}/{f.target} leads, first contact "
        f"on time {_percent(f.on_time_rate)}",
        blocks=blocks,
    )
