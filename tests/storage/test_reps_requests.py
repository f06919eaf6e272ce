"""Rep presence and routing turns; replayed Slack requests."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text

from sla.policy_file import parse_policy
from sla.routing import LeadTraits, RepStanding, RoutingStrategy, route
from storage.engine import transaction
from storage.models import ProcessedRequest, Rep
from storage.repositories import reps, requests
from tests.conftest import wait_queued_behind
from tests.storage.conftest import T0, add_leads, fresh_session, lead_row, pg_only

POLICY = parse_policy(
    """
[[reps]]
slack_id = "U0A"
max_open = 2
[[reps]]
slack_id = "U0B"
[[reps]]
slack_id = "U0C"
"""
)


def _standings(engine, now=T0):
    with transaction(engine) as session:
        return {s.rep.slack_id: s for s in reps.standings(session=session, policy=POLICY, now=now)}


# --- requests ----------------------------------------------------------------------------


def test_replay_of_an_unknown_request_is_none(engine):
    with transaction(engine) as session:
        assert requests.replay(session=session, key="slack:1") is None


def test_claim_then_remember_then_replay_returns_the_reply(engine):
    reply = {"response_type": "ephemeral", "text": "Logged attempt 1 of 5 ✓", "n": [1, None]}
    with transaction(engine) as session:
        assert requests.claim(session=session, key="slack:1", now=T0)
        requests.remember(session=session, key="slack:1", response=reply)
    with transaction(engine) as session:
        assert not requests.claim(session=session, key="slack:1", now=T0 + timedelta(1))
        assert requests.replay(session=session, key="slack:1") == reply
        row = session.get(ProcessedRequest, "slack:1")
        assert row is not None and row.created_at == T0


def test_a_rolled_back_claim_leaves_the_key_free(engine):
    with pytest.raises(RuntimeError), transaction(engine) as session:
        assert requests.claim(session=session, key="slack:1", now=T0)
        raise RuntimeError("the work failed")
    with transaction(engine) as session:
        assert requests.replay(session=session, key="slack:1") is None
        assert requests.claim(session=session, key="slack:1", now=T0)


def test_a_concurrent_claim_waits_for_the_holder_and_then_loses(engine):
    """The second delivery blocks on the first's uncommitted claim, then sees its reply."""
    pg_only(engine, "SQLite's write lock keeps the second transaction from starting at all")
    outcome: dict[str, object] = {}
    with fresh_session(engine) as first:
        assert requests.claim(session=first, key="slack:1", now=T0)

        def second() -> None:
            with transaction(engine) as session:
                won = requests.claim(session=session, key="slack:1", now=T0)
                outcome["won"] = won
                outcome["reply"] = requests.replay(session=session, key="slack:1")

        thread = threading.Thread(target=second)
        thread.start()
        holder = first.execute(text("SELECT pg_backend_pid()")).scalar_one()
        wait_queued_behind(engine, holder, 1)  # blocked on the uncommitted claim
        requests.remember(session=first, key="slack:1", response={"text": "first"})
        first.commit()
        thread.join(timeout=10)
    assert outcome == {"won": False, "reply": {"text": "first"}}


def test_replay_returns_a_copy(engine):
    with transaction(engine) as session:
        requests.claim(session=session, key="k", now=T0)
        requests.remember(session=session, key="k", response={"text": "a"})
        replayed = requests.replay(session=session, key="k")
        assert replayed is not None
        replayed["text"] = "changed"
        assert requests.replay(session=session, key="k") == {"text": "a"}


# --- reps --------------------------------------------------------------------------------


def test_standings_follow_the_policy_order_with_open_counts(engine):
    add_leads(
        engine,
        lead_row(assignee="U0B"),
        lead_row(assignee="U0B", status="working"),
        lead_row(assignee="U0B", status="converted"),
        lead_row(assignee="U0A", status="connected"),
        lead_row(assignee="U0GONE"),  # no longer in the policy file
    )
    with transaction(engine) as session:
        standings = reps.standings(session=session, policy=POLICY, now=T0)
    assert [(s.rep.slack_id, s.open_leads, s.away) for s in standings] == [
        ("U0A", 1, False),
        ("U0B", 2, False),
        ("U0C", 0, False),
    ]
    assert [s.rep for s in standings] == list(POLICY.reps)


def test_routing_counts_up_to_capacity_and_people_see_the_exact_figure(engine):
    add_leads(engine, *(lead_row(assignee="U0A", status="working") for _ in range(4)))
    assert _standings(engine)["U0A"].open_leads == 2  # max_open 2: at capacity is all routing needs
    with transaction(engine) as session:
        exact = reps.standings(session=session, policy=POLICY, now=T0, exact=True)
    assert exact[0].open_leads == 4


def test_save_turns_persists_and_standings_read_them_back(engine):
    with transaction(engine) as session:
        reps.save_turns(session=session, turns={"U0A": 3.0, "U0B": 2.5})
    with transaction(engine) as session:
        reps.save_turns(session=session, turns={"U0B": 4.0})
    standings = _standings(engine)
    assert (standings["U0A"].turn, standings["U0B"].turn) == (3.0, 4.0)


def test_a_rep_never_routed_has_no_turn_so_the_router_places_them_at_the_front(engine):
    """A rep added to the policy file later must not get a run of leads to catch up from 0."""
    with transaction(engine) as session:
        reps.save_turns(session=session, turns={"U0A": 40.0, "U0B": 40.5})
    standings = _standings(engine)
    assert standings["U0C"].turn is None
    winners = []
    turns = {"U0A": 40.0, "U0B": 40.5, "U0C": None}
    for _ in range(6):
        decision = route(
            RoutingStrategy.ROUND_ROBIN,
            [
                RepStanding(rep=standings[r].rep, open_leads=0, away=False, turn=turns[r])
                for r in ("U0A", "U0B", "U0C")
            ],
            LeadTraits(),
        )
        winners.append(decision.assignee)
        turns.update(decision.new_turns)
    assert winners.count("U0C") == 2  # one fair share of six, not six in a row


def test_reading_standings_writes_nothing(engine):
    _standings(engine)
    with transaction(engine) as session:
        assert session.get(Rep, "U0A") is None


def test_set_away_without_an_end_lasts_until_set_back(engine):
    with transaction(engine) as session:
        reps.set_away(session=session, slack_id="U0A", until=None)
    assert _standings(engine, T0 + timedelta(days=365))["U0A"].away
    with transaction(engine) as session:
        reps.set_back(session=session, slack_id="U0A")
        row = reps.get(session=session, slack_id="U0A")
        assert row is not None and (row.away, row.away_until) == (False, None)
    assert not _standings(engine)["U0A"].away


def test_away_until_a_time_lapses_by_itself(engine):
    until = T0 + timedelta(days=2)
    with transaction(engine) as session:
        reps.set_away(session=session, slack_id="U0B", until=until)
    assert _standings(engine, T0)["U0B"].away
    assert _standings(engine, until - timedelta(microseconds=1))["U0B"].away
    assert not _standings(engine, until)["U0B"].away  # away_until reached: back
    assert not _standings(engine, until + timedelta(days=1))["U0B"].away


def test_away_until_in_the_past_is_not_away(engine):
    with transaction(engine) as session:
        reps.set_away(session=session, slack_id="U0C", until=T0 - timedelta(hours=1))
    assert not _standings(engine, T0)["U0C"].away


def test_set_away_keeps_the_turn(engine):
    with transaction(engine) as session:
        reps.save_turns(session=session, turns={"U0A": 7.0})
        reps.set_away(session=session, slack_id="U0A", until=None)
        reps.set_back(session=session, slack_id="U0A")
    assert _standings(engine)["U0A"].turn == 7.0


@pytest.mark.parametrize("slack_id", ["U0A", "U0UNKNOWN"])
def test_get_of_a_rep_with_no_row_is_none(engine, slack_id):
    with transaction(engine) as session:
        assert reps.get(session=session, slack_id=slack_id) is None


def test_is_away_compares_instants(engine):
    rep = Rep(slack_id="U0A", away=True, away_until=T0)
    assert reps.is_away(rep, T0 - timedelta(seconds=1))
    assert not reps.is_away(rep, T0)
    assert not reps.is_away(Rep(slack_id="U0A", away=False, away_until=None), T0)


def test_going_away_before_the_first_lead_keeps_the_rep_unrouted(engine):
    with transaction(engine) as session:
        reps.set_away(session=session, slack_id="U0C", until=None)
        reps.set_back(session=session, slack_id="U0C")
    assert _standings(engine)["U0C"].turn is None
