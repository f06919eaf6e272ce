"""`leadclock serve` as a real process: one server for /healthz, /leads and /slack/events,
the background courier, and the scheduler (or none with --no-scheduler)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.sandbox import slack_signature
from bot.slack_standin import SlackStandIn

POLICY = """
[[reps]]
slack_id = "U0ALICE"
[slack]
sla_channel = "C0SLA"
managers = ["U0MGR"]
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Wait for another process to do something (not for time to pass)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def http(method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None):
    req = urllib.request.Request(url, data=body or None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:
        return 0, b""


def serve_env(tmp_path: Path, slack: SlackStandIn, **settings: str) -> dict[str, str]:
    """The environment for `leadclock serve` against `slack`, with the policy file written.

    Only the given Slack credentials are set: a token or secret inherited from the developer's
    shell would switch modes behind the test's back.
    """
    (tmp_path / "leadclock.toml").write_text(POLICY)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "LEADCLOCK_CONFIG")
    }
    env.update(
        SLACK_BOT_TOKEN="xoxb-serve",
        SLACK_API_URL=slack.base_url,
        LEADCLOCK_INTAKE_SECRET="intake",
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
        **settings,
    )
    return env


class Served:
    def __init__(self, process: subprocess.Popen[str], port: int, slack: SlackStandIn) -> None:
        self.process, self.port, self.slack = process, port, slack
        self.url = f"http://127.0.0.1:{port}"


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []
    with SlackStandIn() as slack:

        def start(*extra: str) -> Served:
            port = free_port()
            env = serve_env(tmp_path, slack, SLACK_SIGNING_SECRET="sign")
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
                    *extra,
                ],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            served = Served(process, port, slack)
            started.append(served)
            wait_for(
                lambda: (
                    http("GET", served.url + "/healthz")[0] == 200 or process.poll() is not None
                ),
                "the server to answer /healthz",
            )
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            return served

        yield start
        for served in started:
            if served.process.poll() is None:
                served.process.send_signal(signal.SIGTERM)
                served.process.wait(timeout=15)


def post_lead(served: Served, payload: dict) -> tuple[int, dict]:
    status, body = http(
        "POST",
        served.url + "/leads",
        json.dumps(payload).encode(),
        {"Authorization": "Bearer intake", "Content-Type": "application/json"},
    )
    return status, json.loads(body)


def test_serve_answers_everything_and_runs_the_scheduler(serve) -> None:
    first = serve("--no-scheduler")
    status, lead = post_lead(
        first,
        {
            "external_id": "s1",
            "score": 80,
            "name": "Ann",
            "qualified_at": "2026-01-05T10:00:00-05:00",
        },
    )
    assert status == 201 and lead["assignee"] == "U0ALICE"
    # the courier thread delivers the DM right after the commit
    wait_for(
        lambda: any(
            c.params.get("channel") == "D0ALICE" for c in first.slack.calls("chat.postMessage")
        ),
        "the DM",
    )
    first.process.send_signal(signal.SIGTERM)
    assert first.process.wait(timeout=15) == 0
    # restarted with the scheduler: its first pass, at start, finds the passed deadline
    served = serve()
    wait_for(
        lambda: any(
            c.params.get("channel") == "C0SLA" for c in served.slack.calls("chat.postMessage")
        ),
        "the breach post",
    )
    body = urllib.parse.urlencode(
        {
            "command": "/attempt",
            "text": "lead-1 call no-answer",
            "user_id": "U0ALICE",
            "trigger_id": "t.serve.1",
            "team_id": "T1",
            "channel_id": "D0ALICE",
            "response_url": served.slack.response_url("serve"),
        }
    ).encode()
    ts = str(int(time.time()))
    status, answer = http(
        "POST",
        served.url + "/slack/events",
        body,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": slack_signature("sign", ts, body),
        },
    )
    assert status == 200 and "attempt 1 of 5" in json.loads(answer)["text"]
    status, _ = http(
        "POST",
        served.url + "/slack/events",
        body,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": slack_signature("forged", ts, body),
        },
    )
    assert status == 401
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=15) == 0


def test_no_scheduler_means_no_pass(serve) -> None:
    served = serve("--no-scheduler")
    status, _ = post_lead(
        served, {"external_id": "s2", "score": 80, "qualified_at": "2026-01-05T10:00:00-05:00"}
    )
    assert status == 201
    wait_for(lambda: served.slack.calls("chat.postMessage") != [], "the DM")
    served.process.send_signal(signal.SIGTERM)
    output = served.process.communicate(timeout=15)[0]
    assert "scheduler off" in output
    assert not any(
        c.params.get("channel") == "C0SLA" for c in served.slack.calls("chat.postMessage")
    )
