"""The whole app on loopback, with no workspace and no secrets: `leadclock demo` and the tests.

It runs the real pieces — the HTTP server, Bolt with signature checks, the database, the
courier and the real slack_sdk client — against the Slack Web API stand-in, with a clock that
moves only when told. Requests to `/slack/events` are signed the way Slack signs them.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from bot.clock import ManualClock
from bot.http_app import create_http_app
from bot.http_server import HttpServer
from bot.scheduler import TickReport, run_tick
from bot.settings import Settings
from bot.slack_app import create_bolt_app
from bot.slack_standin import SlackStandIn
from bot.wiring import Process, build_process
from sla.policy import Policy

SIGNING_SECRET = "sandbox-signing-secret"
INTAKE_SECRET = "sandbox-intake-secret"
BOT_TOKEN = "xoxb-sandbox-token"


class HttpAnswer:
    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class Sandbox:
    def __init__(
        self,
        *,
        database_url: str,
        policy: Policy,
        start: datetime,
        signing_secret: str = SIGNING_SECRET,
        intake_secret: str = INTAKE_SECRET,
    ) -> None:
        self.clock = ManualClock(start)
        self.policy = policy
        self.signing_secret = signing_secret
        self.intake_secret = intake_secret
        self.database_url = database_url
        self.slack = SlackStandIn()
        # Slack's trigger and event ids are unique across a workspace; so are ours, across
        # sandboxes sharing one database (a replica, a restart), or the retry guard would
        # take a new request for a repeat of another sandbox's
        self._triggers = (f"{uuid.uuid4().hex[:8]}.{n}" for n in itertools.count(1))
        self.process: Process | None = None
        self._server: HttpServer | None = None

    def __enter__(self) -> Sandbox:
        self.slack.start()
        settings = Settings(
            bot_token=BOT_TOKEN,
            signing_secret=self.signing_secret,
            app_token=None,
            slack_api_url=self.slack.base_url,
            database_url=self.database_url,
            config_path=Path("leadclock.toml"),
            intake_secret=self.intake_secret,
        )
        self.process = build_process(settings, clock=self.clock, policy=self.policy)
        runtime, courier = self.process.runtime, self.process.courier
        runtime.after_commit = courier.deliver_due  # deliver in the request: deterministic
        bolt = create_bolt_app(runtime, signing_secret=self.signing_secret)
        self._server = HttpServer(create_http_app(runtime, bolt, after_commit=runtime.after_commit))
        self._server.start_in_thread()
        return self

    def __exit__(
        self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]
    ) -> None:
        if self._server is not None:
            self._server.stop()
        if self.process is not None:
            self.process.runtime.engine.dispose()
        self.slack.stop()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.port}"

    # --- talking to the app as the outside world does -------------------------------------

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> HttpAnswer:
        req = urllib.request.Request(
            self.url + path,
            data=body if method != "GET" else None,
            method=method,
            headers=headers or {},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as answer:
                return HttpAnswer(answer.status, answer.read())
        except urllib.error.HTTPError as error:
            return HttpAnswer(error.code, error.read())

    def post_lead(self, payload: dict[str, Any]) -> HttpAnswer:
        return self.request(
            "POST",
            "/leads",
            json.dumps(payload).encode(),
            {"Authorization": f"Bearer {self.intake_secret}", "Content-Type": "application/json"},
        )

    def get_lead(self, lead_id: str) -> HttpAnswer:
        return self.request(
            "GET", f"/leads/{lead_id}", headers={"Authorization": f"Bearer {self.intake_secret}"}
        )

    def signed_post(
        self,
        body: bytes,
        content_type: str,
        *,
        retry_num: int | None = None,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> HttpAnswer:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": slack_signature(secret or self.signing_secret, ts, body),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return self.request("POST", "/slack/events", body, headers)

    def command_body(
        self, user: str, command: str, text: str, *, trigger_id: str | None = None
    ) -> bytes:
        return urllib.parse.urlencode(
            {
                "token": "legacy-unused",
                "team_id": "T0LEADCLK",
                "channel_id": "D0CMD",
                "user_id": user,
                "user_name": user.lower(),
                "command": command,
                "text": text,
                "response_url": self.slack.response_url("command"),
                "trigger_id": trigger_id or f"trigger.{next(self._triggers)}",
            }
        ).encode()

    def slash(
        self,
        user: str,
        command: str,
        text: str = "",
        *,
        retry_num: int | None = None,
        trigger_id: str | None = None,
    ) -> HttpAnswer:
        body = self.command_body(user, command, text, trigger_id=trigger_id)
        return self.signed_post(body, "application/x-www-form-urlencoded", retry_num=retry_num)

    def click(self, user: str, action_id: str, value: str) -> HttpAnswer:
        payload = {
            "type": "block_actions",
            "team": {"id": "T0LEADCLK"},
            "user": {"id": user, "name": user.lower()},
            "trigger_id": f"trigger.{next(self._triggers)}",
            "response_url": self.slack.response_url("action"),
            "channel": {"id": self.slack.dm_channel_of(user) or "D0UNKNOWN"},
            "container": {"type": "message"},
            "actions": [
                {
                    "action_id": action_id,
                    "value": value,
                    "type": "button",
                    "block_id": f"attempt:{value}",
                    "action_ts": "1",
                }
            ],
        }
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        return self.signed_post(body, "application/x-www-form-urlencoded")

    def open_home(self, user: str) -> HttpAnswer:
        payload = {
            "type": "event_callback",
            "team_id": "T0LEADCLK",
            "api_app_id": "A0LEADCLK",
            "event_id": f"Ev{next(self._triggers)}",
            "event_time": int(time.time()),
            "event": {
                "type": "app_home_opened",
                "user": user,
                "tab": "home",
                "channel": self.slack.dm_channel_of(user) or "D0HOME",
            },
        }
        return self.signed_post(json.dumps(payload).encode(), "application/json")

    def tick(self, now: datetime | None = None) -> TickReport:
        if now is not None:
            self.clock.set(now)
        assert self.process is not None
        return run_tick(self.process.runtime, self.process.courier)
