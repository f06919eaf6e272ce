"""`leadclock serve` in Socket Mode, as a real process against the Slack stand-in.

With SLACK_APP_TOKEN set (and no signing secret) the app asks `apps.connections.open` for a
WebSocket URL and takes slash commands over that socket, acknowledging each envelope with its
reply; HTTP still serves /leads and /healthz but not /slack/events, which nothing would verify.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.slack_standin import RESPONSE_URL, SlackStandIn
from tests.bot.test_serve import Served, free_port, http, post_lead, serve_env, wait_for

APP_TOKEN = "xapp-1-A0LEADCLK-1-socketmode"
# slack_sdk's Socket Mode client tunnels through HTTP(S)_PROXY and ignores NO_PROXY, which
# would send a loopback WebSocket to a proxy; the Web API client reads them too.
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy")


def socket_mode_env(tmp_path: Path, slack: SlackStandIn, app_token: str) -> dict[str, str]:
    env = serve_env(tmp_path, slack, SLACK_APP_TOKEN=app_token)
    for name in PROXY_VARIABLES:
        env.pop(name, None)
    return env


@pytest.fixture
def socket_served(tmp_path: Path) -> Iterator[Served]:
    """`leadclock serve --no-scheduler` in Socket Mode; its output goes to serve.log."""
    log_path = tmp_path / "serve.log"
    with SlackStandIn() as slack, log_path.open("w") as log:
        port = free_port()
        env = socket_mode_env(tmp_path, slack, APP_TOKEN)
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-scheduler",
            ],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        served = Served(process, port, slack)
        try:
            wait_for(
                lambda: (
                    http("GET", served.url + "/healthz")[0] == 200 or process.poll() is not None
                ),
                "the server to answer /healthz",
            )
            assert process.poll() is None, log_path.read_text()
            yield served
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)


def slash_command(served: Served, user: str, command: str, text: str) -> dict:
    """A slash command's fields as Slack sends them in a Socket Mode envelope (all strings)."""
    return {
        "token": "legacy-unused",
        "team_id": "T0LEADCLK",
        "team_domain": "leadclock",
        "channel_id": "D0ALICE",
        "channel_name": "directmessage",
        "user_id": user,
        "user_name": user.lower(),
        "command": command,
        "text": text,
        "api_app_id": "A0LEADCLK",
        "is_enterprise_install": "false",
        "response_url": served.slack.response_url("socket"),
        "trigger_id": "t.socket.1",
    }


def test_serve_in_socket_mode_takes_commands_over_the_websocket(socket_served: Served) -> None:
    served, slack = socket_served, socket_served.slack

    # it asked for a URL with the app-level token and connected to it
    [opened] = slack.calls("apps.connections.open")
    assert opened.error is None
    connection = slack.wait_for_socket_mode()
    assert connection.number == 1

    # HTTP still serves the intake API, and the courier delivers the assignment DM
    assert http("GET", served.url + "/healthz")[0] == 200
    status, lead = post_lead(
        served,
        {
            "external_id": "sm1",
            "score": 80,
            "name": "Ann",
            "qualified_at": "2026-01-05T10:00:00-05:00",
        },
    )
    assert status == 201 and lead["assignee"] == "U0ALICE"
    wait_for(
        lambda: any(c.params.get("channel") == "D0ALICE" for c in slack.calls("chat.postMessage")),
        "the assignment DM",
    )

    # the assignee logs an attempt by slash command over the socket; the reply is the ack
    ack = slack.push_envelope(
        "slash_commands", slash_command(served, "U0ALICE", "/attempt", "lead-1 call no-answer")
    )
    reply = ack["payload"]
    assert reply["response_type"] == "ephemeral"
    assert "attempt 1 of 5" in reply["text"]
    assert slack.calls(RESPONSE_URL) == []  # answered in the ack, not through response_url
    status, body = http(
        "GET", served.url + "/leads/lead-1", headers={"Authorization": "Bearer intake"}
    )
    assert status == 200
    assert [(a["channel"], a["outcome"], a["by"]) for a in json.loads(body)["attempts"]] == [
        ("call", "no-answer", "U0ALICE")
    ]

    # nothing on HTTP verifies Slack's signatures in Socket Mode, so nothing listens there
    status, _ = http(
        "POST",
        served.url + "/slack/events",
        b"command=%2Fattempt&text=lead-1+call&user_id=U0ALICE",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 404
    assert [a["envelope_id"] for a in slack.socket_mode_acks()] == [ack["envelope_id"]]

    # SIGTERM: a clean exit, and the app hangs up the WebSocket
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=15) == 0
    wait_for(
        lambda: not any(c.open for c in slack.socket_mode_connections()),
        "the stand-in to see the WebSocket closed",
    )
    assert len(slack.socket_mode_connections()) == 1  # no reconnect on the way out


def test_serve_with_a_bot_token_as_app_token_exits_2_naming_the_variable(tmp_path: Path) -> None:
    with SlackStandIn() as slack:
        env = socket_mode_env(tmp_path, slack, "xoxb-pasted-the-wrong-one")
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "serve", "--port", str(free_port())],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert [c.error for c in slack.calls("apps.connections.open")] == ["not_allowed_token_type"]
    assert done.returncode == 2, done.stderr
    assert "Slack refused SLACK_APP_TOKEN (not_allowed_token_type)" in done.stderr
    assert "Traceback" not in done.stderr
    assert "xoxb-pasted-the-wrong-one" not in done.stderr + done.stdout  # secrets stay out of logs
