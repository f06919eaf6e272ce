"""Both sides of the SLA as Slack shows them: `/sla`, App Home, the daily and weekly digests."""

from __future__ import annotations

from bot.blocks.message import Block, Message, context, contexts, header, section, sections
from sla.figures import Figures, Tally
from sla.routing import RepStanding


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def counted(n: int, noun: str) -> str:
    """ "1 breach", "2 breaches", "0 leads"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}{'es' if noun.endswith(('ch', 's')) else 's'}"


def marketing_line(figures: Figures) -> str:
    t = figures.team
    return (
        f"*Marketing* · {t.accepted} accepted of {figures.target} monthly target "
        f"({percent(figures.target_share)}) · {t.qualified} qualified, {t.rejected} rejected by "
        f"sales · {t.received} received in all"
    )


def sales_line(t: Tally) -> str:
    return (
        f"*Sales* · first contact on time {percent(t.on_time_rate)} "
        f"({t.contacted_on_time} of {t.first_contacts_owed}) · "
        f"{t.awaiting_overdue} waiting past deadline · {counted(t.breaches, 'breach')} · "
        f"{counted(t.attempts, 'attempt')} · {t.converted} converted, "
        f"{t.disqualified} disqualified, {t.open} open"
    )


def rep_line(rep: str, t: Tally) -> str:
    return (
        f"<@{rep}> · {counted(t.qualified, 'lead')} · on time {percent(t.on_time_rate)} · "
        f"{counted(t.breaches, 'breach')} · {counted(t.attempts, 'attempt')} · "
        f"{t.converted} converted"
    )


def team_status(figures: Figures, standings: list[RepStanding]) -> Message:
    reps = [
        f"<@{s.rep.slack_id}> {s.open_leads}/{s.rep.max_open} open" + (" · away" if s.away else "")
        for s in standings
    ]
    blocks: list[Block] = [
        header(f"SLA status {figures.period.label}"),
        section(marketing_line(figures)),
        section(sales_line(figures.team)),
    ]
    if reps:
        blocks += contexts(["*Reps*", *reps])
    return Message(
        text=f"SLA status {figures.period.label}: {figures.team.accepted}/{figures.target} leads, "
        f"first contact on time {percent(figures.team.on_time_rate)}",
        blocks=blocks,
    )


def digest(title: str, figures: Figures, month: Figures, *, cohort: str) -> Message:
    """A period's figures, per rep, with the month so far for marketing's target.

    `cohort` says which leads are counted ("the leads qualified on 2026-12-07"): figures follow
    the leads of a period through everything that happened to them since, so a breach today
    of a lead from last week counts in last week's figures, and the reader is told so.
    """
    blocks: list[Block] = [
        header(f"{title} · {figures.period.label}"),
        context(f"Counts {cohort}, with all that has happened to them since."),
        section(sales_line(figures.team)),
    ]
    blocks += sections(rep_line(r, t) for r, t in figures.by_rep.items())
    blocks.append(section(marketing_line(month) + f" (month {month.period.label} so far)"))
    team = figures.team
    return Message(
        text=f"{title} {figures.period.label}: {counted(team.qualified, 'qualified lead')}, "
        f"first contact on time {percent(team.on_time_rate)}, {counted(team.breaches, 'breach')}",
        blocks=blocks,
    )
