"""Who gets the next lead: pure, deterministic, and able to say why.

One fairness mechanism serves every strategy: stride scheduling. Each rep carries a persisted
`turn` (the scheduler's "pass"). The eligible rep with the lowest turn wins, ties going to the rep
listed first in the policy file, and the winner's turn advances by its stride: 1 for round robin,
1/weight for weighted (so a weight-3 rep wins three times as often). `least_loaded` picks by open
leads instead, using the turn only to break ties, and still advances it so ties rotate.

No burst after absence: a rep skipped because they are away or at capacity loses the turns they
miss. Their turn advances exactly as if they had been served whenever their turn came up while
they could not take leads, so on return they slot back into the rotation instead of collecting
the backlog of turns they "saved". The same idea places a rep with no stored turn (new to the
team) level with the current front rather than at 0.0, which would hand them a run of leads. The
front is the lowest stored turn of every configured rep, not just of those who can take this lead:
a new rep's first lead may be one only they cover, or arrive while the rest of the team is away or
full, and a front taken from that narrower field (0.0 when it is empty) would still hand them a
run once the whole team competes again.

Region/segment rules come from the contract: a lead with a region goes only to reps whose
`regions` list it, and all reps are considered when none does; segment narrows the result the
same way. A rep with an empty list is a generalist for leads without that attribute only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

ALL_REPS = "all reps considered"


class RoutingStrategy(StrEnum):
    ROUND_ROBIN = "round_robin"
    WEIGHTED = "weighted"
    LEAST_LOADED = "least_loaded"


@dataclass(frozen=True)
class RepConfig:
    """One `[[reps]]` entry. Regions and segments are folded to lower case: matching ignores case.

    It lives here rather than with the policy because routing is all it describes, and that keeps
    the import direction policy -> routing.
    """

    slack_id: str
    weight: int = 1
    max_open: int = 30
    regions: frozenset[str] = frozenset()
    segments: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in ("regions", "segments"):
            folded = frozenset(v.strip().lower() for v in getattr(self, name))
            object.__setattr__(self, name, folded)


@dataclass(frozen=True)
class RepStanding:
    """A rep as the router sees them right now.

    `turn` is the persisted fairness counter; None means the rep has never been routed to (no
    stored value yet), and the router then starts them level with the front of the rotation.
    """

    rep: RepConfig
    open_leads: int
    away: bool
    turn: float | None


@dataclass(frozen=True)
class LeadTraits:
    region: str | None = None
    segment: str | None = None


@dataclass(frozen=True)
class Skip:
    slack_id: str
    reason: str


@dataclass(frozen=True)
class RoutingDecision:
    """The pick, every rep passed over and why, and the turn counters to persist.

    `new_turns` holds only reps whose stored turn changes; storage writes it in the same
    transaction as the assignment so the rotation and the lead never disagree.
    """

    assignee: str | None
    strategy: RoutingStrategy
    skipped: tuple[Skip, ...]
    rule: str
    new_turns: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    because: str = ""

    def explain(self, mention: Callable[[str], str] = str) -> str:
        """One sentence for a lead card; `mention` renders a Slack id (e.g. as `<@U…>`)."""
        if self.assignee is None:
            parts = [f"{self.strategy} found no rep to assign"]
        else:
            parts = [f"{self.strategy} picked {mention(self.assignee)} ({self.because})"]
        if self.rule != ALL_REPS:
            parts.append(self.rule)
        if self.skipped:
            shown = ", ".join(f"{mention(s.slack_id)} ({s.reason})" for s in self.skipped)
            parts.append(f"skipped {shown}")
        return "; ".join(parts)


def route(
    strategy: RoutingStrategy, standings: Sequence[RepStanding], traits: LeadTraits
) -> RoutingDecision:
    """Choose the assignee for one lead; `standings` must be in policy-file order."""
    if not standings:
        return RoutingDecision(None, strategy, (), "no reps are configured")
    pool, rule, skipped = _apply_rules(standings, traits)
    eligible: list[tuple[int, RepStanding]] = []
    for index, s in pool:
        unavailable = _unavailable(s)
        if unavailable:
            skipped.append((index, Skip(s.rep.slack_id, unavailable)))
        else:
            eligible.append((index, s))
    skips = tuple(skip for _, skip in sorted(skipped, key=lambda pair: pair[0]))
    if not eligible:
        return RoutingDecision(None, strategy, skips, rule)

    front = min((s.turn for s in standings if s.turn is not None), default=0.0)
    turns = {i: front if s.turn is None else s.turn for i, s in pool}
    if strategy is RoutingStrategy.LEAST_LOADED:
        w_index, winner = min(eligible, key=lambda e: (e[1].open_leads, turns[e[0]], e[0]))
        because = f"fewest open leads: {winner.open_leads}"
    else:
        w_index, winner = min(eligible, key=lambda e: (turns[e[0]], e[0]))
        because = "next in turn"
        if strategy is RoutingStrategy.WEIGHTED:
            because += f", weight {winner.rep.weight}"

    won = (turns[w_index], w_index)
    updated = dict(turns)
    updated[w_index] = turns[w_index] + _stride(strategy, winner.rep)
    for index, s in pool:
        if index != w_index and _unavailable(s):
            updated[index] = _forfeit(turns[index], _stride(strategy, s.rep), index, won)
    new_turns = {
        s.rep.slack_id: updated[i] for i, s in pool if s.turn is None or updated[i] != s.turn
    }
    return RoutingDecision(
        winner.rep.slack_id, strategy, skips, rule, MappingProxyType(new_turns), because
    )


def _unavailable(s: RepStanding) -> str | None:
    """Why a rep who matches the lead cannot take it now, or None when they can."""
    if s.away:
        return "away"
    if s.open_leads >= s.rep.max_open:
        return f"at capacity, {s.open_leads}/{s.rep.max_open} open"
    return None


def _apply_rules(
    standings: Sequence[RepStanding], traits: LeadTraits
) -> tuple[list[tuple[int, RepStanding]], str, list[tuple[int, Skip]]]:
    """Narrow the reps by region, then segment; return the pool, the rule text and exclusions."""
    pool = list(enumerate(standings))
    notes: list[str] = []
    excluded: list[tuple[int, Skip]] = []
    for attribute, value in (("region", traits.region), ("segment", traits.segment)):
        shown = (value or "").strip()
        if not shown:
            continue
        wanted = shown.lower()
        covering = [(i, s) for i, s in pool if wanted in _rules_of(s.rep, attribute)]
        if not covering:
            if len(pool) < len(standings):
                notes.append(f"{attribute} {shown} matched none of those reps, so it was ignored")
            else:
                notes.append(f"{attribute} {shown} matched no rep; {ALL_REPS}")
            continue
        kept = {i for i, _ in covering}
        excluded += [
            (i, Skip(s.rep.slack_id, f"does not cover {attribute} {shown}"))
            for i, s in pool
            if i not in kept
        ]
        notes.append(f"{attribute} {shown} matched {len(covering)} of {len(standings)} reps")
        pool = covering
    return pool, "; ".join(notes) or ALL_REPS, excluded


def _rules_of(rep: RepConfig, attribute: str) -> frozenset[str]:
    return rep.regions if attribute == "region" else rep.segments


def _stride(strategy: RoutingStrategy, rep: RepConfig) -> float:
    return 1.0 / rep.weight if strategy is RoutingStrategy.WEIGHTED else 1.0


def _forfeit(turn: float, stride: float, index: int, won: tuple[float, int]) -> float:
    """Advance a skipped rep past every turn that came up while they could not take a lead.

    In closed form: the smallest `turn + k*stride` that sorts after `won`, the winner's (turn,
    position),
    i.e. what they would hold had each missed turn been served. A rep already behind the winner
    in the order keeps their turn.
    """
    if (turn, index) > won:
        return turn
    advanced = turn + stride * max(0, math.ceil((won[0] - turn) / stride))
    if (advanced, index) < won:
        advanced += stride
    return advanced
