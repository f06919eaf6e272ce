"""Socket Mode for the stand-in: the WebSocket that Slack opens to an app instead of POSTing.

Why a real WebSocket: ``leadclock serve`` with ``SLACK_APP_TOKEN`` uses slack_sdk's builtin
Socket Mode client, which speaks RFC 6455 over a raw socket (and plain ``ws://`` when the port
is not 443). Its handshake, framing, ping/pong and acknowledgement code only run as in
production when real bytes cross a socket, so this is a small server, stdlib only.

The flow mirrors Slack's (docs.slack.dev, "Using Socket Mode"):

1. the app calls ``apps.connections.open`` with its app-level token and gets a one-off URL
   (:meth:`SocketModeHub.issue_url`; the server checks the token);
2. it opens a WebSocket to that URL; Slack answers with a ``hello`` message;
3. Slack sends envelopes ``{"envelope_id", "type", "payload", "accepts_response_payload"}``
   (``type`` is ``slash_commands``, ``interactive`` or ``events_api``) and the app acknowledges
   each with ``{"envelope_id": …, "payload": {…}}`` — the payload being what an HTTP app would
   have answered, e.g. a slash command's ephemeral reply.

The HTTP server (``server.py``) turns ``GET /link/?ticket=…`` into a WebSocket with
:func:`handshake_accept` and then hands the socket to :meth:`SocketModeHub.serve`, which runs
the connection in that request's thread until either side closes it.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import json
import logging
import socket
import struct
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from enum import IntEnum
from typing import Any, BinaryIO, TypeVar

_log = logging.getLogger(__name__)

SOCKET_MODE_PATH = "/link/"
"""Where ``apps.connections.open`` URLs point, as Slack's ``wss://…/link/?ticket=…`` do."""

_ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 §1.3
_MAX_MESSAGE = 1 << 20  # a stand-in never needs more; larger messages are refused with 1009

Envelope = dict[str, Any]
Ack = dict[str, Any]
_T = TypeVar("_T")


class Opcode(IntEnum):
    """RFC 6455 §5.2 opcodes; 8 and above are control frames."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


class CloseCode(IntEnum):
    """The RFC 6455 §7.4.1 status codes this server fails a connection with."""

    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    INVALID_PAYLOAD = 1007
    TOO_BIG = 1009


class HandshakeError(Exception):
    """An upgrade request that is not a valid RFC 6455 opening handshake (answered with 400)."""


class _ProtocolError(Exception):
    """The peer broke the framing rules: fail the connection with ``code`` (RFC 6455 §7.1.7)."""

    def __init__(self, code: CloseCode, reason: str) -> None:
        super().__init__(reason)
        self.code = code


@dataclass(frozen=True)
class Frame:
    """One frame as received, payload already unmasked."""

    fin: bool
    opcode: Opcode
    payload: bytes


@dataclass(frozen=True)
class SocketModeConnection:
    """A snapshot of one Socket Mode connection, for tests to look at.

    ``close_code`` is the status the app sent in its close frame, or None when it just dropped
    the TCP connection (slack_sdk's builtin client does that on ``close()``).
    """

    number: int
    ticket: str
    open: bool
    close_code: int | None
    pings: int


# ---- handshake and framing ----


def handshake_accept(method: str, headers: Message) -> str:
    """Check an opening handshake (RFC 6455 §4.2.1) and return its ``Sec-WebSocket-Accept``."""
    if method != "GET":
        raise HandshakeError("a WebSocket handshake is a GET")
    if headers.get("Upgrade", "").strip().lower() != "websocket":
        raise HandshakeError("Upgrade: websocket is missing")
    tokens = {t.strip().lower() for t in headers.get("Connection", "").split(",")}
    if "upgrade" not in tokens:
        raise HandshakeError("Connection: Upgrade is missing")
    if headers.get("Sec-WebSocket-Version", "").strip() != "13":
        raise HandshakeError("only Sec-WebSocket-Version: 13 is spoken")
    key = headers.get("Sec-WebSocket-Key", "").strip()
    try:
        nonce = base64.b64decode(key, validate=True)
    except binascii.Error:
        nonce = b""
    if len(nonce) != 16:
        raise HandshakeError("Sec-WebSocket-Key must be 16 random bytes, base64-encoded")
    return base64.b64encode(hashlib.sha1(key.encode() + _ACCEPT_GUID).digest()).decode()


def switching_protocols(accept: str) -> bytes:
    """The 101 answer; written by hand because http.server would say HTTP/1.0 and add headers."""
    return (
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept}\r\n\r\n"
    ).encode()


def encode_frame(opcode: Opcode, payload: bytes = b"") -> bytes:
    """A single, final, unmasked frame: servers must not mask (RFC 6455 §5.1)."""
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x80 | opcode, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, size)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, size)
    return header + payload


def read_frame(stream: BinaryIO) -> Frame | None:
    """Read one client frame; None when the connection ended (even mid-frame)."""
    head = _read_exact(stream, 2)
    if head is None:
        return None
    first, second = head
    if first & 0x70:
        raise _ProtocolError(CloseCode.PROTOCOL_ERROR, "no extension was negotiated (RSV set)")
    try:
        opcode = Opcode(first & 0x0F)
    except ValueError:
        unknown = f"unknown opcode {first & 0x0F:#x}"
        raise _ProtocolError(CloseCode.PROTOCOL_ERROR, unknown) from None
    if not second & 0x80:
        raise _ProtocolError(CloseCode.PROTOCOL_ERROR, "client frames must be masked")
    size = second & 0x7F
    if size >= 126:
        extended = _read_exact(stream, 2 if size == 126 else 8)
        if extended is None:
            return None
        size = struct.unpack("!H" if len(extended) == 2 else "!Q", extended)[0]
    fin = bool(first & 0x80)
    if opcode >= Opcode.CLOSE and (size > 125 or not fin):
        raise _ProtocolError(CloseCode.PROTOCOL_ERROR, "control frames are short and unfragmented")
    if size > _MAX_MESSAGE:
        raise _ProtocolError(CloseCode.TOO_BIG, "message too big for the stand-in")
    masked = _read_exact(stream, 4 + size)
    if masked is None:
        return None
    key, data = masked[:4], masked[4:]
    payload = bytes(byte ^ key[i % 4] for i, byte in enumerate(data))
    return Frame(fin, opcode, payload)


def _read_exact(stream: BinaryIO, size: int) -> bytes | None:
    try:
        data = stream.read(size)
    except OSError:  # reset by the peer, or shut down by stop()
        return None
    return data if data is not None and len(data) == size else None


# ---- connections ----


class _Session:
    """One accepted WebSocket; reads in the request thread, writes from any thread."""

    def __init__(self, number: int, ticket: str, sock: socket.socket) -> None:
        self.number = number
        self.ticket = ticket
        self._sock = sock
        self._send_lock = threading.Lock()
        self.ready = False  # True once hello is sent: from then on envelopes may follow
        self.open = True
        self.close_code: int | None = None
        self.pings = 0

    def send_text(self, message: dict[str, Any]) -> None:
        self.send_frame(encode_frame(Opcode.TEXT, json.dumps(message).encode()))

    def send_frame(self, frame: bytes) -> None:
        with self._send_lock:
            self._sock.sendall(frame)

    def send_close(self, code: int | None, reason: str = "") -> None:
        """A close frame, best effort: the peer may already be gone."""
        payload = b"" if code is None else struct.pack("!H", code) + reason.encode()
        try:
            self.send_frame(encode_frame(Opcode.CLOSE, payload))
        except OSError:
            pass

    def hang_up(self) -> None:
        """Shut the socket down, which also wakes the reading thread with end-of-stream."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def snapshot(self) -> SocketModeConnection:
        return SocketModeConnection(
            self.number, self.ticket, self.open and self.ready, self.close_code, self.pings
        )


class SocketModeHub:
    """Tickets, live connections, and the envelopes pushed through them awaiting their acks.

    One condition guards all state, so a test waiting for a connection or an ack wakes as soon
    as the connection's thread records it.
    """

    def __init__(self, *, app_id: str) -> None:
        self.app_id = app_id
        self._changed = threading.Condition()
        self._tickets: set[str] = set()
        self._sessions: list[_Session] = []
        self._acks: dict[str, Ack] = {}
        self._received: list[Ack] = []

    # ---- the app's side: URL, handshake, the connection's life ----

    def issue_url(self, origin: str) -> str:
        """A one-off URL like Slack's ``wss://…/link/?ticket=…&app_id=…``, for ``ws://origin``.

        Tickets are single-use here (Slack's expire soon after issue), so an app that reconnects
        without asking for a new URL is caught.
        """
        ticket = uuid.uuid4().hex
        with self._changed:
            self._tickets.add(ticket)
        return f"{origin}{SOCKET_MODE_PATH}?ticket={ticket}&app_id={self.app_id}"

    def redeem(self, ticket: str) -> bool:
        with self._changed:
            if ticket not in self._tickets:
                return False
            self._tickets.discard(ticket)
            return True

    def serve(self, ticket: str, sock: socket.socket, stream: BinaryIO) -> None:
        """Run one connection after the 101 was written: say hello, then answer until closed."""
        with self._changed:
            session = _Session(len(self._sessions) + 1, ticket, sock)
            self._sessions.append(session)
            live = sum(s.open for s in self._sessions)
        try:
            session.send_text(self._hello(live))
            with self._changed:
                session.ready = True  # envelopes go out only after hello, as from Slack
                self._changed.notify_all()
            self._read_until_closed(session, stream)
        except _ProtocolError as error:
            _log.warning("Socket Mode stand-in: %s; failing the connection", error)
            session.send_close(error.code, str(error))
        except OSError:
            _log.debug("Socket Mode stand-in: connection %s lost", session.number)
        finally:
            # Marked closed before the TCP close, so a peer that sees the end sees it recorded.
            with self._changed:
                session.open = False
                self._changed.notify_all()
            session.hang_up()  # the server closes the TCP connection first (RFC 6455 §7.1.1)

    def _hello(self, live: int) -> Envelope:
        """What Slack sends first on every connection."""
        return {
            "type": "hello",
            "num_connections": live,
            "debug_info": {
                "host": "applink-standin",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": self.app_id},
        }

    def _read_until_closed(self, session: _Session, stream: BinaryIO) -> None:
        fragments: list[bytes] = []
        fragmented: Opcode | None = None  # the opcode of the message being reassembled
        while (frame := read_frame(stream)) is not None:
            if frame.opcode == Opcode.PING:
                with self._changed:
                    session.pings += 1
                session.send_frame(encode_frame(Opcode.PONG, frame.payload))
            elif frame.opcode == Opcode.PONG:
                continue  # we never ping; an unsolicited pong is allowed and ignored
            elif frame.opcode == Opcode.CLOSE:
                self._closing(session, frame.payload)
                return
            elif frame.opcode == Opcode.CONTINUATION:
                if fragmented is None:
                    raise _ProtocolError(CloseCode.PROTOCOL_ERROR, "continuation of nothing")
                fragments.append(frame.payload)
                if sum(map(len, fragments)) > _MAX_MESSAGE:
                    raise _ProtocolError(CloseCode.TOO_BIG, "message too big for the stand-in")
                if frame.fin:
                    self._message(fragmented, b"".join(fragments))
                    fragments, fragmented = [], None
            elif fragmented is not None:
                interleaved = "a new message inside a fragmented one"
                raise _ProtocolError(CloseCode.PROTOCOL_ERROR, interleaved)
            elif frame.fin:
                self._message(frame.opcode, frame.payload)
            else:
                fragments, fragmented = [frame.payload], frame.opcode

    def _closing(self, session: _Session, payload: bytes) -> None:
        """Echo the client's close code (RFC 6455 §5.5.1); :meth:`serve` then drops TCP."""
        if len(payload) == 1:
            raise _ProtocolError(CloseCode.PROTOCOL_ERROR, "a close payload has 0 or 2+ bytes")
        code = struct.unpack("!H", payload[:2])[0] if payload else None
        with self._changed:
            session.close_code = code
        session.send_close(code)

    def _message(self, opcode: Opcode, data: bytes) -> None:
        """An app's message: an ack ``{"envelope_id", "payload"?}``; anything else is logged."""
        if opcode != Opcode.TEXT:
            raise _ProtocolError(CloseCode.UNSUPPORTED_DATA, "Socket Mode speaks JSON text")
        try:
            message = json.loads(data.decode("utf-8"))
        except UnicodeDecodeError:
            raise _ProtocolError(CloseCode.INVALID_PAYLOAD, "text is not UTF-8") from None
        except json.JSONDecodeError:
            _log.warning("Socket Mode stand-in: the app sent non-JSON text %r", data[:200])
            return
        if not isinstance(message, dict) or not isinstance(message.get("envelope_id"), str):
            _log.warning("Socket Mode stand-in: not an acknowledgement: %r", message)
            return
        with self._changed:
            self._received.append(message)
            self._acks.setdefault(message["envelope_id"], message)  # the first ack counts
            self._changed.notify_all()

    # ---- the test's side ----

    def push(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        timeout: float = 10.0,
    ) -> Ack:
        """Send an envelope on the newest open connection and wait for the app's ack.

        ``accepts_response_payload`` defaults to True except for ``events_api``, where Slack
        ignores anything but the ack itself; events also carry ``retry_attempt``/``retry_reason``
        (0 and "" on a first delivery), as the Events API retries over Socket Mode too.
        Raises TimeoutError unless a connection is open and the ack arrives within ``timeout``
        seconds in all (Slack itself gives up after 3).
        """
        deadline = time.monotonic() + timeout
        envelope_id = str(uuid.uuid4())
        envelope: Envelope = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": (
                envelope_type != "events_api"
                if accepts_response_payload is None
                else accepts_response_payload
            ),
        }
        if envelope_type == "events_api" or retry_attempt is not None:
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = retry_reason or ""
        session = self._newest_open(deadline)
        try:
            session.send_text(envelope)
        except OSError as error:
            raise ConnectionError("the Socket Mode connection closed under the push") from error
        ack = self._wait(lambda: self._acks.get(envelope_id), deadline, f"ack of {envelope_id}")
        return copy.deepcopy(ack)

    def wait_for_connection(self, timeout: float = 10.0) -> SocketModeConnection:
        """The newest open connection, once one has said hello."""
        return self._newest_open(time.monotonic() + timeout).snapshot()

    def _newest_open(self, deadline: float) -> _Session:
        def newest() -> _Session | None:
            return next((s for s in reversed(self._sessions) if s.open and s.ready), None)

        return self._wait(newest, deadline, "open Socket Mode connection")

    def _wait(self, found: Callable[[], _T | None], deadline: float, what: str) -> _T:
        """Wait on the condition until ``found()`` gives something, or the deadline passes."""
        with self._changed:
            while (value := found()) is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"Socket Mode stand-in: no {what} in time")
                self._changed.wait(remaining)
            return value

    def connections(self) -> list[SocketModeConnection]:
        with self._changed:
            return [s.snapshot() for s in self._sessions]

    def acks(self) -> list[Ack]:
        """Every acknowledgement received, in order (repeats included)."""
        with self._changed:
            return copy.deepcopy(self._received)

    def close_all(self) -> None:
        """Drop every connection (the stand-in is stopping)."""
        with self._changed:
            sessions = [s for s in self._sessions if s.open]
        for session in sessions:
            session.hang_up()
