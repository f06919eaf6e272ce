"""`POST /leads`, `GET /leads/<id>` and `/healthz` over real HTTP, per the contract."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.sandbox import Sandbox
from tests.bot.e2e.conftest import (
    REPS,
    dm_posts,
    intake_signature,
    lead,
    lead_payload,
    local,
    new_lead,
    posts,
    signed_intake,
    z,
)


def test_healthz_answers_200_when_the_database_answers(box: Sandbox):
    answer = box.request("GET", "/healthz")
    assert answer.status == 200
    assert answer.json()["database"] == "ok"


# --- authentication ------------------------------------------------------------------------


def test_bearer_auth_creates_an_assigned_lead(box: Sandbox):
    answer = box.post_lead(lead_payload(external_id="hs-1"))
    assert answer.status == 201
    body = answer.json()
    assert body["id"] == "lead-1"
    assert body["status"] == "assigned"
    assert body["assignee"] in REPS
    assert body["duplicate"] is False
    # Monday 08:40 is before opening: 09:00 + 4h = 13:00 New York = 18:00Z.
    assert body["first_contact_due"] == "2026-12-07T18:00:00Z"


def test_the_auth_scheme_and_the_signature_hex_ignore_case(box: Sandbox):
    headers = {"Authorization": f"bearer {box.intake_secret}", "Content-Type": "application/json"}
    body = json.dumps(lead_payload()).encode()
    assert box.request("POST", "/leads", body, headers).status == 201
    body = json.dumps(lead_payload()).encode()
    ts = str(int(box.clock().timestamp()))
    upper = intake_signature(box.intake_secret, ts, body).upper().replace("V1=", "v1=")
    signed = {"X-Leadclock-Timestamp": ts, "X-Leadclock-Signature": upper}
    assert box.request("POST", "/leads", body, signed).status == 201


def test_a_whole_score_comes_back_whole(box: Sandbox):
    assert new_lead(box, score=80)["score"] == 80
    assert isinstance(lead(box, "lead-1")["score"], int)
    assert new_lead(box, score=80.5)["score"] == 80.5


def test_hmac_auth_with_a_fresh_signature_is_accepted(box: Sandbox):
    body = json.dumps(lead_payload()).encode()
    answer = signed_intake(box, body, age=timedelta(minutes=4, seconds=50))
    assert answer.status == 201, answer.body
    assert answer.json()["id"] == "lead-1"


@pytest.mark.parametrize(
    "how",
    ["missing", "wrong bearer", "wrong signature", "signed with another secret", "stale"],
)
def test_bad_or_missing_auth_is_401_and_stores_nothing(box: Sandbox, how: str):
    payload = lead_payload()
    body = json.dumps(payload).encode()
    if how == "missing":
        answer = box.request("POST", "/leads", body, {"Content-Type": "application/json"})
    elif how == "wrong bearer":
        answer = box.request("POST", "/leads", body, {"Authorization": "Bearer not-the-secret"})
    elif how == "wrong signature":
        answer = signed_intake(box, body, signature="v1=" + "0" * 64)
    elif how == "signed with another secret":
        answer = signed_intake(box, body, secret="someone-elses-secret")
    else:
        answer = signed_intake(box, body, age=timedelta(minutes=5, seconds=30))
    assert answer.status == 401
    assert "error" in answer.json()
    assert box.get_lead("lead-1").status == 404
    assert posts(box) == []


def test_signature_covers_the_raw_body(box: Sandbox):
    body = json.dumps(lead_payload()).encode()
    ts = str(int(box.clock().timestamp()))
    signature = intake_signature(box.intake_secret, ts, body)
    tampered = body.replace(b'"score": 80', b'"score": 99')
    headers = {"X-Leadclock-Timestamp": ts, "X-Leadclock-Signature": signature}
    assert box.request("POST", "/leads", tampered, headers).status == 401
    assert box.request("POST", "/leads", body, headers).status == 201


# --- what is stored and when it is due -----------------------------------------------------


@pytest.mark.parametrize(
    ("qualified_at", "due"),
    [
        ("2026-12-04T15:00:00-05:00", "2026-12-07T16:00:00Z"),  # Fri 15:00 → Mon 11:00
        ("2026-12-05T10:00:00-05:00", "2026-12-07T18:00:00Z"),  # Sat 10:00 → Mon 13:00
        ("2026-12-04T20:00:00Z", "2026-12-07T16:00:00Z"),  # the same Friday, written in UTC
    ],
)
def test_first_contact_due_counts_business_hours_only(box: Sandbox, qualified_at, due):
    body = new_lead(box, qualified_at=qualified_at)
    assert body["first_contact_due"] == due
    assert lead(box, body["id"])["qualified_at"] == z(
        local(4, 15) if qualified_at.startswith("2026-12-04") else local(5, 10)
    )


def test_qualified_at_in_the_future_is_clamped_to_receipt(box: Sandbox):
    body = new_lead(box, qualified_at="2026-12-07T10:00:00-05:00")  # now is 08:40
    assert body["qualified_at"] == z(local(7, 8, 40))
    assert body["first_contact_due"] == "2026-12-07T18:00:00Z"  # not 19:00Z


def test_score_at_the_threshold_is_unqualified_and_never_assigned(box: Sandbox):
    answer = box.post_lead(lead_payload(score=65))
    assert answer.status == 200
    body = answer.json()
    assert body["status"] == "unqualified"
    assert body["assignee"] is None
    assert body["first_contact_due"] is None
    assert box.slack.calls("chat.postMessage") == []
    assert lead(box, body["id"])["status"] == "unqualified"
    # just above the threshold qualifies
    assert box.post_lead(lead_payload(score=65.5)).status == 201


def test_repeated_external_id_returns_the_same_lead_and_sends_no_second_dm(box: Sandbox):
    first = new_lead(box, external_id="hs-42")
    owner = first["assignee"]
    assert len(dm_posts(box, owner)) == 1
    answer = box.post_lead(lead_payload(external_id="hs-42", score=99, name="Someone Else"))
    assert answer.status == 200
    again = answer.json()
    assert again["duplicate"] is True
    assert again["id"] == first["id"]
    assert again["assignee"] == owner
    assert again["score"] == first["score"]  # nothing changed
    assert again["first_contact_due"] == first["first_contact_due"]
    assert len(dm_posts(box, owner)) == 1
    assert len(posts(box)) == 1
    assert box.get_lead("lead-2").status == 404


# --- malformed input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        (b'{"external_id": "x", "score": 80', "JSON"),
        (b"[1, 2]", "object"),
        (json.dumps({"score": 80}).encode(), "external_id"),
        (json.dumps({"external_id": "  ", "score": 80}).encode(), "external_id"),
        (json.dumps({"external_id": "x"}).encode(), "score"),
        (json.dumps({"external_id": "x", "score": "80"}).encode(), "score"),
        (json.dumps({"external_id": "x", "score": True}).encode(), "score"),
        (
            json.dumps({"external_id": "x", "score": 80, "qualified_at": "yesterday"}).encode(),
            "qualified_at",
        ),
        (
            json.dumps(
                {"external_id": "x", "score": 80, "qualified_at": "2026-12-04T15:00:00"}
            ).encode(),
            "qualified_at",
        ),
        (json.dumps({"external_id": "x", "score": 80, "fields": [1]}).encode(), "fields"),
        (json.dumps({"external_id": "x", "score": 80, "fields": "a=b"}).encode(), "fields"),
        (b'{"external_id": "x", "score": ' + b"9" * 400 + b"}", "finite"),
        (b'{"external_id": "x", "score": NaN}', "finite"),
        (
            b'{"external_id": "x", "score": 80, "fields": '
            + b"[" * 100_000
            + b"]" * 100_000
            + b"}",
            "nested too deeply",
        ),
    ],
)
def test_malformed_input_is_400_with_a_json_error_and_stores_nothing(box: Sandbox, body, mentions):
    headers = {"Authorization": f"Bearer {box.intake_secret}", "Content-Type": "application/json"}
    answer = box.request("POST", "/leads", body, headers)
    assert answer.status == 400, answer.body
    assert mentions in answer.json()["error"]
    assert box.get_lead("lead-1").status == 404
    assert box.slack.calls() == []


def test_a_body_over_one_mebibyte_is_413(box: Sandbox):
    payload = lead_payload(fields={"blob": "x" * (1024 * 1024)})
    answer = box.post_lead(payload)
    assert answer.status == 413
    assert "error" in answer.json()
    assert box.get_lead("lead-1").status == 404


def test_fields_region_and_segment_are_kept(box: Sandbox):
    body = new_lead(box, fields={"utm": {"campaign": "q4"}, "pages": [1, 2]}, region="EMEA")
    assert body["region"] == "EMEA"
    assert box.post_lead(lead_payload(fields={})).status == 201


# --- GET /leads/<id> -------------------------------------------------------------------------


def test_get_lead_has_the_contract_shape(box: Sandbox):
    created = new_lead(box, external_id="hs-7", score=82, qualified_at="2026-12-04T15:00:00-05:00")
    box.clock.set(local(7, 9, 15))
    assert box.slash(created["assignee"], "/attempt", "lead-1 call no-answer left vm").status == 200
    body = lead(box, "lead-1")
    contract = {
        "id",
        "external_id",
        "status",
        "assignee",
        "score",
        "qualified_at",
        "first_contact_due",
        "first_contact_at",
        "attempts",
        "breaches",
    }
    assert contract <= body.keys()
    assert body["id"] == "lead-1"
    assert body["external_id"] == "hs-7"
    assert body["status"] == "working"
    assert body["assignee"] == created["assignee"]
    assert body["score"] == 82
    assert body["qualified_at"] == "2026-12-04T20:00:00Z"
    assert body["first_contact_due"] == "2026-12-07T16:00:00Z"
    assert body["first_contact_at"] == "2026-12-07T14:15:00Z"
    assert body["breaches"] == []
    [attempt] = body["attempts"]
    assert {k: attempt[k] for k in ("channel", "outcome", "at", "by", "note")} == {
        "channel": "call",
        "outcome": "no-answer",
        "at": "2026-12-07T14:15:00Z",
        "by": created["assignee"],
        "note": "left vm",
    }


@pytest.mark.parametrize("reference", ["lead-1", "LEAD-1", "1"])
def test_get_lead_accepts_every_id_form(box: Sandbox, reference: str):
    new_lead(box)
    assert lead(box, reference)["id"] == "lead-1"


@pytest.mark.parametrize(
    "reference", ["lead-99", "99", "nonsense", "lead-" + "9" * 30, "lead-%EF%BC%91"]
)
def test_get_unknown_lead_is_404(box: Sandbox, reference: str):
    new_lead(box)
    answer = box.get_lead(reference)
    assert answer.status == 404
    assert "error" in answer.json()


def test_get_lead_needs_auth(box: Sandbox):
    new_lead(box)
    assert box.request("GET", "/leads/lead-1").status == 401
    wrong = {"Authorization": "Bearer nope"}
    assert box.request("GET", "/leads/lead-1", headers=wrong).status == 401
    ts = str(int(box.clock().timestamp()))
    signed = {
        "X-Leadclock-Timestamp": ts,
        "X-Leadclock-Signature": intake_signature(box.intake_secret, ts, b""),
    }
    assert box.request("GET", "/leads/lead-1", headers=signed).status == 200
