"""Digests on the timer, `leadclock digest|report|import`, on each database backend."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.flows.importing import read_leads
from bot.sandbox import Sandbox
from bot.slack_standin import SlackStandIn
from sla.policy_file import parse_policy

NY = ZoneInfo("America/New_York")
POLICY = """
[[reps]]
slack_id = "U0ALICE"
[[reps]]
slack_id = "U0BOB"
[slack]
sla_channel = "C0SLA"
managers = ["U0MGR"]
daily_summary_at = "17:30"
weekly_digest_at = "mon 09:00"
"""


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=NY)


def channel_texts(box: Sandbox) -> list[str]:
    return [m.text for m in box.slack.messages("C0SLA")]


def test_a_big_teams_digest_is_a_message_slack_takes(database_url: str) -> None:
    reps = "".join(f'[[reps]]\nslack_id = "U0REP{n:02d}"\n' for n in range(60))
    policy = parse_policy(reps + '[slack]\nsla_channel = "C0SLA"\ndaily_summary_at = "17:30"\n')
    with Sandbox(database_url=database_url, policy=policy, start=local(7, 8, 50)) as box:
        for n in range(60):  # round robin: one lead, and one line in the digest, per rep
            assert box.post_lead({"external_id": f"x{n}", "score": 90}).status == 201
        box.tick(local(7, 17, 30))
        assert [c.error for c in box.slack.calls("chat.postMessage") if c.error] == []
        [daily] = [m for m in box.slack.messages("C0SLA") if m.text.startswith("Daily")]
        shown = json.dumps(daily.blocks, ensure_ascii=False)
        assert all(f"<@U0REP{n:02d}> · 1 lead" in shown for n in range(60))


def test_digests_post_once_per_period_on_the_timer(database_url: str) -> None:
    with Sandbox(
        database_url=database_url, policy=parse_policy(POLICY), start=local(7, 8, 50)
    ) as box:
        assert box.post_lead({"external_id": "x1", "score": 90, "name": "Ann"}).status == 201
        box.slash("U0ALICE", "/attempt", "lead-1 call connected")
        box.tick(local(7, 8, 55))
        assert channel_texts(box) == []  # before Monday 09:00: nothing
        box.tick(local(7, 9, 0))
        weekly = [t for t in channel_texts(box) if t.startswith("Weekly SLA digest")]
        assert len(weekly) == 1 and "2026-W49" in weekly[0]  # the week that just ended
        box.tick(local(7, 17, 29))
        assert not any(t.startswith("Daily") for t in channel_texts(box))
        box.tick(local(7, 17, 30))
        box.tick(local(7, 17, 45))
        daily = [t for t in channel_texts(box) if t.startswith("Daily SLA summary")]
        assert len(daily) == 1
        assert "2026-12-07: 1 qualified lead, first contact on time 100%" in daily[0]
        box.tick(local(12, 18, 0))  # Saturday: no daily summary
        assert len([t for t in channel_texts(box) if t.startswith("Daily")]) == 1


def test_each_rep_is_credited_with_what_happened_while_the_lead_was_theirs(
    database_url: str,
) -> None:
    with Sandbox(
        database_url=database_url, policy=parse_policy(POLICY), start=local(7, 8, 50)
    ) as box:
        assert box.post_lead({"external_id": "x1", "score": 90}).json()["assignee"] == "U0ALICE"
        box.clock.set(local(7, 9, 30))
        box.slash("U0ALICE", "/attempt", "lead-1 call no-answer")  # first contact, on time
        box.clock.set(local(7, 10, 0))
        box.slash("U0MGR", "/lead", "reassign lead-1 <@U0BOB|bob>")
        box.clock.set(local(7, 11, 0))
        box.slash("U0BOB", "/attempt", "lead-1 email")
        box.tick(local(7, 17, 30))
        [daily] = [m for m in box.slack.messages("C0SLA") if m.text.startswith("Daily")]
        assert "Counts the leads qualified on 2026-12-07" in daily.blocks[1]["elements"][0]["text"]
        lines = daily.blocks[3]["text"]["text"].splitlines()
        assert lines == [
            "<@U0ALICE> · 0 leads · on time 100% · 0 breaches · 1 attempt · 0 converted",
            "<@U0BOB> · 1 lead · on time — · 0 breaches · 1 attempt · 0 converted",
        ]


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    policy = tmp_path / "leadclock.toml"
    policy.write_text(POLICY)
    with SlackStandIn() as slack:
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
        monkeypatch.setenv("SLACK_API_URL", slack.base_url)
        monkeypatch.setenv("DATABASE_URL", database_url)
        monkeypatch.setenv("LEADCLOCK_CONFIG", str(policy))
        monkeypatch.chdir(tmp_path)
        yield slack


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text.strip() + "\n")
    return path


def test_import_validates_the_whole_file_first(
    cli_env: SlackStandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_csv(
        tmp_path / "bad.csv",
        """
external_id,score,name,qualified_at
a1,80,Ann,
a2,lots,Bob,
,70,Cy,
a4,90,Di,yesterday
""",
    )
    assert main(["import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.csv:3: score is required and must be a number" in err
    assert "bad.csv:4: external_id is required" in err
    assert "bad.csv:5: qualified_at 'yesterday' is not ISO 8601" in err
    assert "nothing imported" in err
    assert cli_env.calls("chat.postMessage") == []
    assert main(["report", "--format", "json", "--month", "2026-12"]) == 0
    assert json.loads(capsys.readouterr().out)["rows"][0]["received"] == 0


def test_import_then_report(
    cli_env: SlackStandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_csv(
        tmp_path / "good.csv",
        """
external_id,score,name,company,qualified_at,utm_source
a1,80,Ann,Acme,2026-12-01T15:00:00-05:00,google
a2,40,Bob,Beta,2026-12-01T15:00:00-05:00,bing
a3,66,Cy,Coda,2026-12-02T10:00:00-05:00,
""",
    )
    assert main(["import", str(good)]) == 0
    assert (
        "imported 3 rows: 2 assigned, 1 unqualified; 2 Slack messages sent"
        in capsys.readouterr().out
    )
    assert main(["import", str(good)]) == 0
    assert "3 duplicate; 0 Slack messages sent" in capsys.readouterr().out
    dms = {c.params["channel"] for c in cli_env.calls("chat.postMessage")}
    assert dms == {"D0ALICE", "D0BOB"}
    assert main(["report", "--month", "2026-12", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("scope,received,qualified,rejected,accepted")
    assert lines[1].startswith("team,3,2,0,2,")
    assert {line.split(",")[0] for line in lines[2:]} == {"U0ALICE", "U0BOB"}
    assert main(["report", "--month", "2026-11"]) == 0
    table = capsys.readouterr().out
    assert "Lead SLA report 2026-11" in table and "team" in table


def test_digest_command_posts_now(
    cli_env: SlackStandIn, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["digest", "weekly", "--now", "2026-12-09T15:00:00Z"]) == 0
    assert "weekly digest posted to C0SLA" in capsys.readouterr().out
    posts = cli_env.calls("chat.postMessage")
    assert [p.params["channel"] for p in posts] == ["C0SLA"]
    assert "Weekly SLA digest" in posts[0].params["text"]


def test_read_leads_keeps_unknown_columns_as_fields(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "f.csv", "external_id,score,utm\nz1,70.5,google")
    leads, problems = read_leads(path)
    assert problems == []
    assert leads[0].score == 70.5 and leads[0].fields == {"utm": "google"}
    missing, problems = read_leads(write_csv(tmp_path / "h.csv", "id,points\n1,2"))
    assert missing == [] and "header row" in problems[0].message
