"""The stand-in's HTTP face: a real server that the unmodified ``slack_sdk.WebClient`` talks to.

Why a real server rather than a mocked client: the code under test (retries, timeouts, how
slack_sdk encodes each method, how it raises ``SlackApiError``) only behaves as in production
when bytes cross a socket. So this answers like slack.com/api does: HTTP 200 with
``{"ok": false, "error": …}`` for API-level refusals, 429 + ``Retry-After`` when rate limited,
and whatever faults a test injects with :meth:`SlackStandIn.fail_next`. A test that must act
while a call is in flight holds it with :meth:`SlackStandIn.hold_next` and releases it when done.

It also plays Slack's side of Socket Mode (``socket_mode.py``): ``apps.connections.open``
hands out ``ws://`` URLs on this same port, and ``GET /link/?ticket=…`` upgrades to a WebSocket
through which a test pushes envelopes with :meth:`SlackStandIn.push_envelope`.
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

from bot.slack_standin.socket_mode import (
    SOCKET_MODE_PATH,
    Ack,
    HandshakeError,
    SocketModeConnection,
    SocketModeHub,
    handshake_accept,
    switching_protocols,
)
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


class HeldCall:
    """A call the stand-in has decided but not yet answered, from :meth:`SlackStandIn.hold_next`.

    Races between a slow Slack call and something else (another replica, the clock moving on)
    are then staged step by step: wait until the call has arrived, act, release it. Nothing
    guesses how long a delay must be.
    """

    def __init__(self) -> None:
        self._arrived = threading.Event()
        self._released = threading.Event()

    def wait_arrived(self, timeout: float = 10.0) -> None:
        """Return once the call has arrived and been recorded; TimeoutError if it does not."""
        if not self._arrived.wait(timeout):
            raise TimeoutError("the held call never arrived")

    def release(self) -> None:
        """Send the answer. Release within the client's timeout, or it gives up (and retries)."""
        self._released.set()


@dataclass(frozen=True)
class _Fault:
    status: int
    retry_after: int | None
    error: str | None
    delay: float
    hold: HeldCall | None = None

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
    hold: HeldCall | None = None

    @property
    def error(self) -> str | None:
        return None if isinstance(self.body, str) or self.body.get("ok") else self.body.get("error")


def _slack_error(code: str, status: int = 200, **details: Any) -> _Answer:
    return _Answer(status, {"ok": False, "error": code, **details})


class SlackStandIn:
    """A local Slack Web API on ``127.0.0.1:<free port>``, run in a daemon thread.

    Use ``WebClient(base_url=standin.base_url, token="xoxb-…")`` against it. Any token starting
    with ``xoxb-`` or ``xoxp-`` is accepted; ``xapp-`` (app-level) ones only for
    ``apps.connections.open``, which in turn refuses bot and user tokens. Users ``U…``/``W…``
    exist on demand unless ``auto_users=False`` (then only :meth:`add_user` ones do); unknown
    ``C…`` channels are accepted on first post unless ``strict_channels=True``. Thread-safe:
    one lock guards state.
    """

    def __init__(
        self,
        *,
        team_id: str = "T0LEADCLK",
        team: str = "leadclock",
        bot_user_id: str = "U0LEADBOT",
        bot_id: str = "B0LEADBOT",
        app_id: str = "A0LEADCLK",
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
        self._holds: list[HeldCall] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._socket_mode = SocketModeHub(app_id=app_id)

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
        """Stop serving; requests still in an injected delay or held are answered at once."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        with self._lock:
            for held in self._holds:
                held.release()
        self._socket_mode.close_all()
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

    def _origin(self, scheme: str = "http") -> str:
        if self._server is None:
            raise RuntimeError("start() the Slack stand-in first")
        host, port = self._server.server_address[:2]
        return f"{scheme}://{host!s}:{port}"

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

    def hold_next(self, method: str, *, error: str | None = None) -> HeldCall:
        """Hold the next call of ``method``: decided and recorded on arrival, answered only when
        the returned :class:`HeldCall` is released.

        Without ``error`` it is a slow success (the call takes effect at once, as with
        ``fail_next(status=200, delay=…)``); with ``error`` it is refused with that Slack error
        code and changes nothing. Holds queue with ``fail_next`` faults, in call order.
        """
        held = HeldCall()
        with self._lock:
            self._holds.append(held)
            self._faults.setdefault(method, deque()).append(_Fault(200, None, error, 0.0, held))
        return held

    # ---- Socket Mode ----

    def push_envelope(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        timeout: float = 10.0,
    ) -> Ack:
        """Deliver ``payload`` over Socket Mode as Slack would, and return the app's ack.

        ``envelope_type`` is ``"slash_commands"``, ``"interactive"`` or ``"events_api"``; the
        payload is the dict an HTTP app would have been POSTed (a slash command's form fields,
        an interaction's ``payload``, an event callback). The ack is
        ``{"envelope_id": …, "payload": {…}}`` with the payload present when the app answered
        with one. Envelopes go to the newest connection; raises TimeoutError unless there is
        one and it acks within ``timeout`` seconds in all.
        """
        return self._socket_mode.push(
            envelope_type,
            payload,
            accepts_response_payload=accepts_response_payload,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
            timeout=timeout,
        )

    def wait_for_socket_mode(self, timeout: float = 10.0) -> SocketModeConnection:
        """The newest open Socket Mode connection, once it has been sent ``hello``."""
        return self._socket_mode.wait_for_connection(timeout)

    def socket_mode_connections(self) -> list[SocketModeConnection]:
        """Every Socket Mode connection so far, oldest first, open or closed."""
        return self._socket_mode.connections()

    def socket_mode_acks(self) -> list[Ack]:
        """Every acknowledgement the app sent over Socket Mode, in arrival order."""
        return self._socket_mode.acks()

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
                answer = _Answer(
                    answer.status, answer.body, answer.retry_after, fault.delay, fault.hold
                )
            recorded = params if isinstance(params, dict) else {}
            self._calls.append(
                RecordedCall(method or path, recorded, answer.status, answer.error, path)
            )
            if answer.hold is not None:
                answer.hold._arrived.set()
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
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return _slack_error("not_authed")
        if method == "apps.connections.open":
            return self._connections_open(token)
        if not token.startswith(("xoxb-", "xoxp-")):
            return _slack_error("invalid_auth")
        try:
            return _Answer(200, self._workspace.handle(method, params))
        except ApiError as refusal:
            return _slack_error(refusal.code, **refusal.details)

    def _connections_open(self, token: str) -> _Answer:
        """Only an app-level token may open a Socket Mode connection; Slack refuses the rest."""
        if token.startswith(("xoxb-", "xoxp-")):
            return _slack_error("not_allowed_token_type")
        if not token.startswith("xapp-"):
            return _slack_error("invalid_auth")
        return _Answer(200, {"ok": True, "url": self._socket_mode.issue_url(self._origin("ws"))})

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
        if urlsplit(self.path).path == SOCKET_MODE_PATH:
            self._upgrade()
        else:
            self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        _log.debug("stand-in %s", format % args)

    def _serve(self) -> None:
        standin = self.server.standin
        answer = standin._answer(self.path, self.headers.get("Authorization"), self._params())
        if answer.delay > 0:
            standin._wait(answer.delay)
        if answer.hold is not None:
            answer.hold._released.wait()  # stop() releases every hold
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

    def _upgrade(self) -> None:
        """Upgrade to a WebSocket and run Socket Mode on it in this thread until it closes."""
        self.close_connection = True  # whatever happens, this socket is not reused for HTTP
        hub = self.server.standin._socket_mode
        try:
            accept = handshake_accept(self.command, self.headers)
        except HandshakeError as refusal:
            self._plain(400, str(refusal))
            return
        ticket = parse_qs(urlsplit(self.path).query).get("ticket", [""])[-1]
        if not hub.redeem(ticket):
            self._plain(401, "unknown or already used ticket; call apps.connections.open")
            return
        try:
            self.wfile.write(switching_protocols(accept))
        except OSError:
            return  # the client left during the handshake
        hub.serve(ticket, self.connection, self.rfile)

    def _plain(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

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
                    return ApiError(
                        "invalid_blocks_format" if key == "blocks" else "invalid_arguments"
                    )
        return params
