"""Routing: explained picks, region/segment rules, and fairness over long sequences."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.routing import (
    LeadTraits,
    RepConfig,
    RepStanding,
    RoutingDecision,
    RoutingStrategy,
    Skip,
    route,
)

RR = RoutingStrategy.ROUND_ROBIN
WEIGHTED = RoutingStrategy.WEIGHTED
LEAST = RoutingStrategy.LEAST_LOADED


def stand(
    slack_id: str,
    *,
    open_leads: int = 0,
    away: bool = False,
    turn: float | None = 0.0,
    **config: object,
) -> RepStanding:
    return RepStanding(RepConfig(slack_id, **config), open_leads, away, turn)  # type: ignore[arg-type]


class Team:
    """A tiny in-memory stand-in for storage: persists turns and open counts between leads."""

    def __init__(self, reps: Sequence[RepConfig], strategy: RoutingStrategy) -> None:
        self.reps = list(reps)
        self.strategy = strategy
        self.turns: dict[str, float | None] = {r.slack_id: None for r in reps}
        self.open = {r.slack_id: 0 for r in reps}
        self.away: set[str] = set()

    def standings(self) -> list[RepStanding]:
        return [
            RepStanding(r, self.open[r.slack_id], r.slack_id in self.away, self.turns[r.slack_id])
            for r in self.reps
        ]

    def assign(self, traits: LeadTraits | None = None) -> RoutingDecision:
        decision = route(self.strategy, self.standings(), traits or LeadTraits())
        self.turns.update(decision.new_turns)
        if decision.assignee is not None:
            self.open[decision.assignee] += 1
        return decision


def reps(*ids: str, **config: object) -> list[RepConfig]:
    """Reps with room to spare, so long sequences test rotation rather than capacity."""
    config.setdefault("max_open", 10**6)
    return [RepConfig(i, **config) for i in ids]  # type: ignore[arg-type]


# --- single decisions -------------------------------------------------------------------------


def test_round_robin_goes_in_policy_file_order():
    team = Team(reps("U1", "U2", "U3"), RR)
    assert [team.assign().assignee for _ in range(7)] == ["U1", "U2", "U3", "U1", "U2", "U3", "U1"]


def test_lowest_turn_wins_and_only_the_winner_advances():
    decision = route(RR, [stand("U1", turn=3.0), stand("U2", turn=2.0)], LeadTraits())
    assert decision.assignee == "U2"
    assert dict(decision.new_turns) == {"U2": 3.0}
    assert decision.because == "next in turn"


def test_explain_names_the_pick_and_every_skip():
    decision = route(
        RR,
        [stand("U1"), stand("U2", away=True), stand("U3", open_leads=30, max_open=30)],
        LeadTraits(),
    )
    assert decision.assignee == "U1"
    assert decision.skipped == (Skip("U2", "away"), Skip("U3", "at capacity, 30/30 open"))
    assert decision.explain() == (
        "round_robin picked U1 (next in turn); skipped U2 (away), U3 (at capacity, 30/30 open)"
    )
    assert decision.explain(lambda u: f"<@{u}>").startswith("round_robin picked <@U1>")


def test_nobody_eligible_assigns_nobody_and_explains_all_skips():
    decision = route(
        WEIGHTED, [stand("U1", away=True), stand("U2", open_leads=5, max_open=5)], LeadTraits()
    )
    assert decision.assignee is None
    assert [s.slack_id for s in decision.skipped] == ["U1", "U2"]
    assert dict(decision.new_turns) == {}
    assert decision.explain() == (
        "weighted found no rep to assign; skipped U1 (away), U2 (at capacity, 5/5 open)"
    )


def test_no_reps_configured():
    decision = route(RR, [], LeadTraits(region="EMEA"))
    assert decision.assignee is None
    assert decision.rule == "no reps are configured"


def test_a_rep_who_is_away_and_full_is_reported_as_away():
    full_and_away = stand("U1", away=True, open_leads=3, max_open=3)
    decision = route(RR, [full_and_away, stand("U2")], LeadTraits())
    assert decision.skipped == (Skip("U1", "away"),)


def test_weighted_explains_the_weight():
    decision = route(WEIGHTED, [stand("U1", weight=3)], LeadTraits())
    assert decision.because == "next in turn, weight 3"
    assert decision.new_turns["U1"] == pytest.approx(1 / 3)


# --- region and segment rules -----------------------------------------------------------------


def test_region_goes_only_to_reps_covering_it_case_insensitively():
    standings = [stand("U1", regions={"APAC"}), stand("U2", regions={"emea"}), stand("U3")]
    decision = route(RR, standings, LeadTraits(region="EMEA"))
    assert decision.assignee == "U2"
    assert decision.rule == "region EMEA matched 1 of 3 reps"
    assert decision.skipped == (
        Skip("U1", "does not cover region EMEA"),
        Skip("U3", "does not cover region EMEA"),
    )
    assert "region EMEA matched 1 of 3 reps" in decision.explain()


def test_region_nobody_covers_falls_back_to_all_reps():
    standings = [stand("U1", regions={"emea"}, turn=1.0), stand("U2", regions={"amer"})]
    decision = route(RR, standings, LeadTraits(region="APAC"))
    assert decision.assignee == "U2"
    assert decision.rule == "region APAC matched no rep; all reps considered"
    assert decision.skipped == ()


def test_matching_rep_away_leaves_the_lead_unassigned_rather_than_breaking_the_rule():
    standings = [stand("U1", regions={"emea"}, away=True), stand("U2")]
    decision = route(RR, standings, LeadTraits(region="emea"))
    assert decision.assignee is None
    assert decision.skipped == (Skip("U1", "away"), Skip("U2", "does not cover region emea"))


def test_segment_narrows_the_region_matches():
    standings = [
        stand("U1", regions={"emea"}, segments={"smb"}),
        stand("U2", regions={"emea"}, segments={"enterprise"}),
        stand("U3", regions={"amer"}, segments={"enterprise"}),
    ]
    decision = route(RR, standings, LeadTraits(region="EMEA", segment="Enterprise"))
    assert decision.assignee == "U2"
    assert decision.rule == (
        "region EMEA matched 2 of 3 reps; segment Enterprise matched 1 of 3 reps"
    )
    assert [s.slack_id for s in decision.skipped] == ["U1", "U3"]


def test_segment_matching_none_of_the_region_reps_is_ignored():
    standings = [
        stand("U1", regions={"emea"}),
        stand("U2", regions={"amer"}, segments={"smb"}),
    ]
    decision = route(RR, standings, LeadTraits(region="emea", segment="smb"))
    assert decision.assignee == "U1"
    assert decision.rule.endswith("segment smb matched none of those reps, so it was ignored")


def test_blank_traits_mean_no_rule():
    decision = route(RR, [stand("U1", regions={"emea"})], LeadTraits(region="  ", segment=""))
    assert decision.rule == "all reps considered"
    assert decision.explain() == "round_robin picked U1 (next in turn)"


# --- least loaded -------------------------------------------------------------------------------


def test_least_loaded_picks_fewest_open_then_lowest_turn_then_file_order():
    standings = [
        stand("U1", open_leads=4),
        stand("U2", open_leads=2, turn=5.0),
        stand("U3", open_leads=2, turn=1.0),
        stand("U4", open_leads=2, turn=1.0),
    ]
    decision = route(LEAST, standings, LeadTraits())
    assert decision.assignee == "U3"
    assert decision.because == "fewest open leads: 2"
    assert dict(decision.new_turns) == {"U3": 2.0}


def test_least_loaded_evens_out_open_leads():
    team = Team(reps("U1", "U2", "U3"), LEAST)
    team.open.update({"U1": 5, "U2": 1, "U3": 0})
    picks = [team.assign().assignee for _ in range(9)]
    assert picks == ["U3", "U2", "U3", "U2", "U3", "U2", "U3", "U2", "U3"]
    assert set(team.open.values()) == {5}


# --- new reps and returning reps ----------------------------------------------------------------


def test_new_rep_without_a_stored_turn_joins_level_with_the_front():
    standings = [stand("U1", turn=500.0), stand("U2", turn=500.0), stand("U3", turn=None)]
    decision = route(RR, standings, LeadTraits())
    assert decision.assignee == "U1"
    assert dict(decision.new_turns) == {"U1": 501.0, "U3": 500.0}


def test_new_rep_gets_no_burst():
    team = Team(reps("U1", "U2"), RR)
    for _ in range(1000):
        team.assign()
    team.reps.append(RepConfig("U3", max_open=10**6))
    team.turns["U3"] = None
    team.open["U3"] = 0
    counts = Counter(team.assign().assignee for _ in range(30))
    assert counts == {"U1": 10, "U2": 10, "U3": 10}


def assert_level_throughout(picks: Sequence[str | None], ids: Sequence[str]) -> None:
    """No rep ever gets more than one lead ahead of another, at every point of the sequence."""
    counts = Counter({i: 0 for i in ids})
    for n, pick in enumerate(picks, start=1):
        counts[pick] += 1
        assert max(counts.values()) - min(counts.values()) <= 1, picks[:n]


def seasoned_team_and_new_emea_rep(strategy: RoutingStrategy) -> Team:
    """UA and UB are well into the rotation; UN is new (no stored turn) and alone covers EMEA."""
    new_rep = RepConfig("UN", max_open=10**6, regions=frozenset({"EMEA"}))
    team = Team([*reps("UA", "UB"), new_rep], strategy)
    team.turns.update({"UA": 100.0, "UB": 100.5})
    return team


@pytest.mark.parametrize("strategy", [RR, WEIGHTED])
def test_new_rep_whose_first_lead_only_they_cover_joins_level_with_the_whole_team(strategy):
    team = seasoned_team_and_new_emea_rep(strategy)
    picks = [team.assign(LeadTraits(region="EMEA")).assignee]
    picks += [team.assign().assignee for _ in range(11)]
    assert picks[0] == "UN"
    assert_level_throughout(picks, ["UA", "UB", "UN"])


@pytest.mark.parametrize("strategy", [RR, WEIGHTED])
@pytest.mark.parametrize("unavailable", ["away", "full"])
def test_new_rep_whose_first_lead_comes_while_the_team_is_out_gets_no_burst(strategy, unavailable):
    team = seasoned_team_and_new_emea_rep(strategy)
    if unavailable == "away":
        team.away = {"UA", "UB"}
    else:
        team.open.update({"UA": 10**6, "UB": 10**6})
    picks = [team.assign().assignee]
    team.away.clear()
    team.open.update({"UA": 0, "UB": 0})
    picks += [team.assign().assignee for _ in range(11)]
    assert picks[0] == "UN"
    assert_level_throughout(picks, ["UA", "UB", "UN"])


@pytest.mark.parametrize("strategy", [RR, WEIGHTED])
def test_rep_back_from_away_gets_no_burst(strategy):
    team = Team(reps("U1", "U2", "U3"), strategy)
    for _ in range(10):
        team.assign()
    team.away.add("U2")
    for _ in range(200):
        assert team.assign().assignee != "U2"
    team.away.clear()
    picks = [team.assign().assignee for _ in range(12)]
    for n in range(1, len(picks) + 1):
        counts = Counter(picks[:n])
        assert counts["U2"] <= min(counts["U1"], counts["U3"]) + 1, picks[:n]


def test_skipped_rep_forfeits_the_turns_it_missed():
    # U1 is away at turn 0 while U2 wins at 4: U1 is placed after U2's slot at 4.
    decision = route(RR, [stand("U1", away=True, turn=0.0), stand("U2", turn=4.0)], LeadTraits())
    assert dict(decision.new_turns) == {"U2": 5.0, "U1": 5.0}
    # Listed after the winner, its slot at the same level is still to come.
    decision = route(RR, [stand("U1", turn=4.0), stand("U2", away=True, turn=0.0)], LeadTraits())
    assert dict(decision.new_turns) == {"U1": 5.0, "U2": 4.0}


def test_reps_excluded_by_rules_keep_their_turn():
    standings = [stand("U1", regions={"emea"}), stand("U2", turn=0.0)]
    decision = route(RR, standings, LeadTraits(region="emea"))
    assert dict(decision.new_turns) == {"U1": 1.0}


# --- long sequences ---------------------------------------------------------------------------


def test_round_robin_spreads_within_one_over_any_window_where_everybody_is_available():
    rng = random.Random(20261207)
    ids = ["U1", "U2", "U3", "U4", "U5"]
    team = Team(reps(*ids), RR)
    stretch: list[str] = []
    stretches: list[list[str]] = []
    for _ in range(3000):
        if rng.random() < 0.03:
            team.away = set() if rng.random() < 0.5 else {i for i in ids if rng.random() < 0.4}
            stretches.append(stretch)
            stretch = []
        pick = team.assign().assignee
        assert pick is not None or team.away == set(ids)
        if not team.away:
            stretch.append(pick)
    stretches.append(stretch)
    checked = 0
    for run in stretches:
        for start in range(len(run)):
            counts = Counter({i: 0 for i in ids})
            for pick in run[start : start + 40]:
                counts[pick] += 1
                assert max(counts.values()) - min(counts.values()) <= 1
                checked += 1
    assert checked > 10_000


def test_weighted_shares_converge_to_weight_ratios():
    weights = {"U1": 1, "U2": 2, "U3": 3, "U4": 4}
    team = Team([RepConfig(i, weight=w, max_open=10**6) for i, w in weights.items()], WEIGHTED)
    counts = Counter(team.assign().assignee for _ in range(10_000))
    for slack_id, weight in weights.items():
        assert counts[slack_id] / 10_000 == pytest.approx(weight / 10, abs=0.002)


def test_capacity_is_never_exceeded_and_leads_flow_when_anyone_has_room():
    rng = random.Random(7)
    team = Team(
        [RepConfig("U1", max_open=3), RepConfig("U2", max_open=5, weight=2), RepConfig("U3")],
        WEIGHTED,
    )
    for _ in range(5000):
        for slack_id, count in team.open.items():
            team.open[slack_id] = max(0, count - (rng.random() < 0.2))
        room = any(team.open[r.slack_id] < r.max_open for r in team.reps)
        decision = team.assign()
        assert (decision.assignee is not None) == room
        assert all(team.open[r.slack_id] <= r.max_open for r in team.reps)


# --- properties -------------------------------------------------------------------------------

standing_lists = st.lists(
    st.builds(
        lambda w, cap, n, away, turn, region: (w, cap, n, away, turn, region),
        st.integers(1, 4),
        st.integers(1, 5),
        st.integers(0, 6),
        st.booleans(),
        st.one_of(st.none(), st.integers(0, 8).map(float)),
        st.sampled_from([frozenset(), frozenset({"emea"}), frozenset({"amer"})]),
    ),
    max_size=6,
)


@settings(max_examples=300, deadline=None)
@given(
    rows=standing_lists,
    strategy=st.sampled_from(list(RoutingStrategy)),
    region=st.sampled_from([None, "EMEA", "apac"]),
)
def test_every_decision_is_deterministic_legal_and_forfeits_skips(rows, strategy, region):
    standings = [
        RepStanding(RepConfig(f"U{i}", weight=w, max_open=cap, regions=reg), n, away, turn)
        for i, (w, cap, n, away, turn, reg) in enumerate(rows)
    ]
    traits = LeadTraits(region=region)
    decision = route(strategy, standings, traits)
    assert decision == route(strategy, list(standings), traits)
    by_id = {s.rep.slack_id: s for s in standings}
    skipped = {s.slack_id for s in decision.skipped}
    if decision.assignee is None:
        assert skipped == set(by_id)
        assert dict(decision.new_turns) == {}
        return
    winner = by_id[decision.assignee]
    assert not winner.away and winner.open_leads < winner.rep.max_open
    assert decision.assignee not in skipped
    won_at = decision.new_turns[decision.assignee] - (
        1 / winner.rep.weight if strategy is WEIGHTED else 1
    )
    for skip in decision.skipped:
        if not skip.reason.startswith("does not cover"):
            turn = decision.new_turns.get(skip.slack_id, by_id[skip.slack_id].turn)
            assert turn is not None
            assert turn >= won_at - 1e-9
