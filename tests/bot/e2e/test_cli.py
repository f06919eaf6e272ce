"""`leadclock` commands, run through `bot.cli.main` with the environment an operator sets."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot.cli import main
from bot.sandbox import BOT_TOKEN, Sandbox
from storage.engine import make_engine
from tests.bot.e2e.conftest import (
    BREACH,
    CHANNEL,
    MANAGER,
    POLICY,
    Waits,
    alerts,
    lead,
    new_lead,
)


@pytest.fixture
def operator_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A clean environment in an empty working directory (no stray .env or leadclock.toml)."""
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "SLACK_API_URL",
        "DATABASE_URL",
        "LEADCLOCK_CONFIG",
        "LEADCLOCK_INTAKE_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)

    def configure(*, policy: str = POLICY, **env: str) -> Path:
        config = tmp_path / "policy.toml"
        config.write_text(policy, encoding="utf-8")
        monkeypatch.setenv("LEADCLOCK_CONFIG", str(config))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return config

    return configure


def test_tick_runs_one_pass_and_records_the_breach(box: Sandbox, operator_env, capsys):
    owner = new_lead(box)["assignee"]
    operator_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=box.slack.base_url,
        DATABASE_URL=box.database_url,
    )
    assert main(["tick", "--now", "2026-12-07T18:01:00Z"]) == 0
    out = capsys.readouterr().out
    assert "checked 1 lead: 1 breach, 0 reminders, 0 assigned, 0 failed" in out
    assert "notifications sent" in out
    [breach] = lead(box, "lead-1")["breaches"]
    assert breach["kind"] == "first_contact" and breach["recorded_at"] == "2026-12-07T18:01:00Z"
    for recipient in (owner, CHANNEL, MANAGER):
        assert len(alerts(box, recipient, BREACH)) == 1

    assert main(["tick", "--now", "2026-12-07T18:02:00Z"]) == 0
    assert "0 breaches" in capsys.readouterr().out
    assert len(lead(box, "lead-1")["breaches"]) == 1
    assert len(alerts(box, CHANNEL, BREACH)) == 1


def test_digest_posts_the_summary_to_the_sla_channel(box: Sandbox, operator_env, capsys):
    new_lead(box)
    operator_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_API_URL=box.slack.base_url,
        DATABASE_URL=box.database_url,
    )
    assert main(["digest", "daily", "--now", "2026-12-07T22:00:00Z"]) == 0
    assert "daily digest posted to C0SLA (1 sent)" in capsys.readouterr().out
    [summary] = [m for m in box.slack.messages(CHANNEL) if m.text.startswith("Daily SLA summary")]
    assert "1 qualified lead," in summary.text


def test_tick_refuses_a_time_without_offset(operator_env, capsys):
    operator_env(SLACK_BOT_TOKEN=BOT_TOKEN)
    with pytest.raises(SystemExit) as exit_:
        main(["tick", "--now", "2026-12-07T13:01:00"])
    assert exit_.value.code == 2
    assert "no UTC offset" in capsys.readouterr().err


def test_db_upgrade_creates_the_schema_and_is_repeatable(database_url, operator_env, capsys):
    operator_env(DATABASE_URL=database_url)
    assert main(["db", "upgrade"]) == 0
    assert "latest schema" in capsys.readouterr().out
    engine = make_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"leads", "attempts", "assignments", "breaches", "notifications"} <= tables
    assert main(["db", "upgrade"]) == 0


def test_tick_without_a_bot_token_names_the_variable(database_url, operator_env, capsys):
    operator_env(DATABASE_URL=database_url)
    assert main(["tick"]) == 2
    assert "SLACK_BOT_TOKEN" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("policy", "names"),
    [
        ('[sla]\nmin_attempts = "five"\n', "min_attempts"),
        ('[sla]\nfirst_contact_witin = "4h"\n', "first_contact_within"),
        ('[hours]\ntimezone = "Mars/Olympus"\n', "timezone"),
        ('[[reps]]\nslack_id = "alice"\n', "slack_id"),
    ],
)
def test_a_bad_policy_file_exits_2_naming_the_key(tmp_path, operator_env, capsys, policy, names):
    operator_env(
        policy=policy,
        SLACK_BOT_TOKEN=BOT_TOKEN,
        DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}",
        SLACK_API_URL="http://127.0.0.1:9/api/",
    )
    assert main(["tick", "--now", "2026-12-07T18:01:00Z"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("leadclock: ")
    assert names in err and "policy.toml" in err


def test_demo_runs_everything_locally(operator_env, waits: Waits, capsys):
    operator_env()
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "#C0SLA (SLA channel):" in out
    channel_section = out.split("#C0SLA (SLA channel):", 1)[1]
    assert "SLA breach" in channel_section
    assert "lead-3 Mia Chen" in channel_section
    for email in ("dana@northwind.example", "ravi@globex.example", "mia@initech.example"):
        assert email not in channel_section  # the DMs show it; the channel never does
    assert "dana@northwind.example" in out
    assert "Slack Web API calls made:" in out
