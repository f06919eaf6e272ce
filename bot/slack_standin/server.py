"""The stand-in's HTTP face: a real server that the unmodified ``slack_sdk.WebClient`` talks to.

Why a real server rather than a mocked client: the code under test (retries, timeouts, how
slack_sdk encodes each method, how it raises ``SlackApiError``) only behaves as in production
when bytes cross a socket. So this answers like slack.com/api does: HTTP 200 with
``{"ok": false, "error": …}`` for API-level refusals, 429 + ``Retry-After`` when rate limited,
and whatever faults a test injects with :meth:`SlackStandIn.fail_next`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.slack_standin.workspace import ApiError, Params, StoredMessage, Workspace

_log = logging.getLogger(__name__)

RESPONSE_URL = "response_url"
"""The ``method`` recorded for POSTs to ``/response/<anything>`` (Bolt's ``respond()``)."""

_JSON_FIELDS = ("blocks", "view", "attachments", "metadata")  # JSON strings inside form bodies


@dataclass(frozen=True)
class RecordedCall:
    """One request as the stand-in saw it, faulted or not, in arrival order."""

    method: str
    params: dict[str, Any]
    http_status: int
    error: str | None = None  # the Slack error code answered, when ``ok`` was false
    path: str = ""


@dataclass(frozen=True)
class _Fault:
    status: int
    retry_after: int | None
    error: str | None
    delay: float

    @property
    def slow_success(self) -> bool:
        """A 200 without an error only slows the answer; the call itself takes effect."""
        return self.status == 200 and self.error is None


@dataclass(frozen=True)
class _Answer:
    status: int
    body: Params | str
    retry_after: int | None = None
    delay: float = 0.0

    @property
    def error(self) -> str | None:
        return None if isinstance(self.body, str) or self.body.get("ok") else self.body.get("error")


def _slack_error(code: str, status: int = 200) -> _Answer:
    return _Answer(status, {"ok": False, "error": code})


class SlackStandIn:
    """A local Slack Web API on ``127.0.0.1:<free port>``, run in a daemon thread.

    Use ``WebClient(base_url=standin.base_url, token="xoxb-…")`` against it. Any token starting
    with ``xoxb-`` or ``xoxp-`` is accepted. Users ``U…``/``W…`` exist on demand unless
    ``auto_users=False`` (then only :meth:`add_user` ones do); unknown ``C…`` channels are
    accepted on first post unless ``strict_channels=True``. Thread-safe: one lock guards state.
    """

    def __init__(
        self,
        *,
        team_id: str = "T0LEADCLK",
        team: str = "leadclock",
        bot_user_id: str = "U0LEADBOT",
        bot_id: str = "B0LEADBOT",
        auto_users: bool = True,
        strict_channels: bool = False,
    ) -> None:
        self._workspace = Workspace(
            team_id=team_id,
            team=team,
            bot_user_id=bot_user_id,
            bot_id=bot_id,
            auto_users=auto_users,
            strict_channels=strict_channels,
        )
        self._lock = threading.RLock()
        self._calls: list[RecordedCall] = []
        self._faults: dict[str, deque[_Fault]] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # ---- lifecycle ----

    def start(self) -> SlackStandIn:
        if self._server is not None:
            raise RuntimeError("the Slack stand-in is already running")
        self._stopping.clear()
        self._server = _Server(("127.0.0.1", 0), _Handler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="slack-standin",
            daemon=True,
        )
        self._thread.start()
        _log.info("Slack stand-in listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stop serving; requests still sleeping in an injected delay are cut short."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/api/`` — the trailing slash matters to WebClient's urljoin."""
        return f"{self._origin()}/api/"

    def response_url(self, name: str = "hook") -> str:
        """A ``response_url`` to hand Bolt in a test payload; POSTs to it are recorded."""
        return f"{self._origin()}/response/{name}"

    def _origin(self) -> str:
        if self._server is None:
            raise RuntimeError("start() the Slack stand-in first")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # ---- configuration ----

    def add_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        real_name: str | None = None,
        tz: str = "America/New_York",
    ) -> None:
        with self._lock:
            self._workspace.add_user(user_id, name=name, real_name=real_name, tz=tz)

    def add_channel(self, channel_id: str, *, name: str | None = None) -> None:
        with self._lock:
            self._workspace.add_channel(channel_id, name)

    def fail_next(
        self,
        method: str,
        *,
        status: int = 500,
        times: int = 1,
        retry_after: int | None = None,
        error: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail.

        - ``status=429``: answered 429 with ``Retry-After: retry_after`` (1 when not given).
        - ``status>=500`` (default 500): answered with that status and a JSON error body.
        - ``error="channel_not_found"``: a Slack-level refusal, HTTP 200 (``status`` ignored).
        - ``delay``: seconds to wait before answering, to outlast a client's timeout. A faulted
          call never changes state, except ``status=200`` without ``error``, which is a slow
          success: the call takes effect at once and only the answer is late (as when Slack
          did the work but the response was lost).
        """
        if times < 1:
            raise ValueError("times must be at least 1")
        fault = _Fault(status, retry_after, error, delay)
        with self._lock:
            self._faults.setdefault(method, deque()).extend([fault] * times)

    # ---- inspection ----

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def reset_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def messages(self, channel: str) -> list[StoredMessage]:
        """The channel's messages in posting order, as they read after any edits."""
        with self._lock:
            return self._workspace.messages(channel)

    def dm_channel_of(self, user_id: str) -> str | None:
        with self._lock:
            return self._workspace.dm_channel_of(user_id)

    def published_views(self, user_id: str) -> list[dict[str, Any]]:
        """Every App Home view published for the user, oldest first."""
        with self._lock:
            return self._workspace.published_views(user_id)

    # ---- request handling (called from server threads) ----

    def _answer(self, path: str, authorization: str | None, params: Params | ApiError) -> _Answer:
        """Decide the answer at arrival, so calls are recorded in arrival order."""
        route, _, rest = urlsplit(path).path.lstrip("/").partition("/")
        method = rest if route == "api" else RESPONSE_URL if route == "response" else ""
        with self._lock:
            queue = self._faults.get(method)
            fault = queue.popleft() if queue else None
            if not method:
                answer = _slack_error("not_found", 404)
            elif fault is not None and not fault.slow_success:
                answer = self._fault_answer(fault)
            else:
                answer = self._process(method, authorization, params)
            if fault is not None:
                answer = _Answer(answer.status, answer.body, answer.retry_after, fault.delay)
            recorded = params if isinstance(params, dict) else {}
            self._calls.append(
                RecordedCall(method or path, recorded, answer.status, answer.error, path)
            )
        return answer

    @staticmethod
    def _fault_answer(fault: _Fault) -> _Answer:
        if fault.error is not None:
            return _slack_error(fault.error)
        if fault.status == 429:
            retry_after = 1 if fault.retry_after is None else fault.retry_after
            return _Answer(429, {"ok": False, "error": "ratelimited"}, retry_after)
        code = "internal_error" if fault.status >= 500 else "invalid_request"
        return _Answer(fault.status, {"ok": False, "error": code}, fault.retry_after)

    def _process(
        self, method: str, authorization: str | None, params: Params | ApiError
    ) -> _Answer:
        if isinstance(params, ApiError):
            return _slack_error(params.code)
        if method == RESPONSE_URL:  # response_url is itself the credential; Slack answers "ok"
            return _Answer(200, "ok")
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _slack_error("not_authed")
        if not token.strip().startswith(("xoxb-", "xoxp-")):
            return _slack_error("invalid_auth")
        try:
            return _Answer(200, self._workspace.handle(method, params))
        except ApiError as refusal:
            return _slack_error(refusal.code)

    def _wait(self, seconds: float) -> None:
        self._stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], standin: SlackStandIn
    ) -> None:
        super().__init__(address, handler)
        self.standin = standin


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:  # http.server's naming
        self._serve()

    def do_GET(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("stand-in %s", format % args)

    def _serve(self) -> None:
        standin = self.server.standin
        answer = standin._answer(self.path, self.headers.get("Authorization"), self._params())
        if answer.delay > 0:
            standin._wait(answer.delay)
        if isinstance(answer.body, str):
            payload, content_type = answer.body.encode(), "text/plain; charset=utf-8"
        else:
            payload = json.dumps(answer.body).encode()
            content_type = "application/json; charset=utf-8"
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            if answer.retry_after is not None:
                self.send_header("Retry-After", str(answer.retry_after))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            _log.debug("stand-in: client left before the answer (timed out?)")

    def _params(self) -> Params | ApiError:
        """Query string plus body, form-encoded or JSON; JSON strings in form fields decoded."""
        params: Params = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        content_type = self.headers.get_content_type()
        if raw and content_type == "application/json":
            try:
                body = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError):
                return ApiError("invalid_json")
            if not isinstance(body, dict):
                return ApiError("invalid_json")
            params.update(body)
        elif raw and content_type == "application/x-www-form-urlencoded":
            form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
            params.update({k: v[-1] for k, v in form.items()})
        elif raw:
            return ApiError("invalid_form_data")
        for key in _JSON_FIELDS:
            if isinstance(params.get(key), str):
                try:
                    params[key] = json.loads(params[key])
                except json.JSONDecodeError:
                    return ApiError(f"invalid_{key}" if key == "blocks" else "invalid_arguments")
        return params
