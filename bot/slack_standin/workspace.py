"""The in-memory workspace behind the stand-in: Slack's state and its Web API methods.

This layer knows nothing about HTTP, threads or fault injection, so the semantics of each
method can be read in one place. The server (``server.py``) parses requests, checks the
token, holds the lock and turns :class:`ApiError` into Slack's ``{"ok": false, ...}`` answer.
Only the methods leadclock uses are implemented; the rest answer ``unknown_method``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from bot.blocks.limits import MESSAGE_BLOCKS, MESSAGE_TEXT, VIEW_BLOCKS, block_errors

Params = dict[str, Any]

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_FIRST_TS_SECONDS = 1_700_000_000


class ApiError(Exception):
    """A Slack-level refusal, answered with HTTP 200 and ``{"ok": false, "error": code}``;
    ``details`` are further fields of that answer (``errors``, ``response_metadata``)."""

    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


@dataclass(frozen=True)
class StoredMessage:
    """A message as a channel shows it now: after every ``chat.update`` (``edits`` counts them)."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] | None
    edits: int = 0
    thread_ts: str | None = None


@dataclass(frozen=True)
class _User:
    id: str
    name: str
    real_name: str
    tz: str


class Workspace:
    """One team's channels, DMs, users, messages and App Home views."""

    def __init__(
        self,
        *,
        team_id: str,
        team: str,
        bot_user_id: str,
        bot_id: str,
        auto_users: bool,
        strict_channels: bool,
    ) -> None:
        self.team_id, self.team = team_id, team
        self.bot_user_id, self.bot_id = bot_user_id, bot_id
        self._auto_users = auto_users
        self._strict_channels = strict_channels
        self._users: dict[str, _User] = {}
        self._channel_names: dict[str, str | None] = {}  # public/private channels we know
        self._dms: dict[str, str] = {}  # user id -> D… channel
        self._mpims: dict[frozenset[str], str] = {}
        self._messages: dict[str, list[StoredMessage]] = {}
        self._views: dict[str, list[dict[str, Any]]] = {}
        self._ts_counter = 0
        self.add_user(bot_user_id, name="leadclock", real_name="leadclock", tz="UTC")
        self._methods: dict[str, Callable[[Params], Params]] = {
            "auth.test": self._auth_test,
            "conversations.open": self._conversations_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
        }

    # ---- configuration and inspection (called by the server under its lock) ----

    def add_user(self, user_id: str, *, name: str | None, real_name: str | None, tz: str) -> None:
        self._users[user_id] = _User(
            user_id, name or user_id.lower(), real_name or f"User {user_id}", tz
        )

    def add_channel(self, channel_id: str, name: str | None) -> None:
        self._channel_names[channel_id] = name

    def messages(self, channel: str) -> list[StoredMessage]:
        return [replace(m, blocks=copy.deepcopy(m.blocks)) for m in self._messages.get(channel, [])]

    def dm_channel_of(self, user_id: str) -> str | None:
        return self._dms.get(user_id)

    def published_views(self, user_id: str) -> list[dict[str, Any]]:
        return copy.deepcopy(self._views.get(user_id, []))

    def handle(self, method: str, params: Params) -> Params:
        """Answer one Web API call: the ``ok: true`` body, or raise :class:`ApiError`."""
        handler = self._methods.get(method)
        if handler is None:
            raise ApiError("unknown_method")
        return {"ok": True, **handler(params)}

    # ---- lookups ----

    def _user(self, user_id: object) -> _User:
        uid = str(user_id or "")
        if uid not in self._users:
            if not (self._auto_users and _USER_ID.match(uid)):
                raise ApiError("user_not_found")
            self.add_user(uid, name=None, real_name=None, tz="America/New_York")
        return self._users[uid]

    def _open_dm(self, user_id: str) -> tuple[str, bool]:
        """The user's DM channel; the id is derived from the user id so tests can predict it."""
        user = self._user(user_id)
        already = user.id in self._dms
        self._dms.setdefault(user.id, "D" + user.id[1:])
        return self._dms[user.id], already

    def _channel(self, value: object) -> str:
        """Resolve a ``channel`` argument the way chat.postMessage does."""
        target = str(value or "").strip()
        if not target:
            raise ApiError("channel_not_found")
        if target in self._dms.values() or target in self._mpims.values():
            return target
        if target[0] in "UW" and _USER_ID.match(target):
            return self._open_dm(target)[0]  # posting to a user id lands in the app's DM
        if target in self._channel_names:
            return target
        by_name = [
            cid
            for cid, name in self._channel_names.items()
            if name is not None and name == target.lstrip("#")
        ]
        if by_name:
            return by_name[0]
        if target[0] in "CG" and target.isalnum() and not self._strict_channels:
            self._channel_names[target] = None  # a channel we were not told about
            return target
        raise ApiError("channel_not_found")

    def _next_ts(self) -> str:
        self._ts_counter += 1
        micros = self._ts_counter * 100
        return f"{_FIRST_TS_SECONDS + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _find(self, channel: str, ts: object) -> tuple[int, StoredMessage]:
        for index, message in enumerate(self._messages.get(channel, [])):
            if message.ts == str(ts):
                return index, message
        raise ApiError("message_not_found")

    @staticmethod
    def _content(params: Params) -> tuple[str, Any]:
        """A message's text and blocks, refused as chat.* methods refuse them: blocks that are
        not a list of objects are ``invalid_blocks_format``; blocks that break a Block Kit limit
        are ``invalid_blocks``, with one json-pointed problem per broken rule."""
        text = str(params.get("text") or "")
        blocks = params.get("blocks")
        if len(text) > MESSAGE_TEXT:
            raise ApiError("msg_too_long")
        if blocks is None:
            return text, blocks
        if not (isinstance(blocks, list) and all(isinstance(b, dict) for b in blocks)):
            raise ApiError("invalid_blocks_format")
        problems = block_errors(blocks, max_blocks=MESSAGE_BLOCKS)
        if problems:
            raise ApiError("invalid_blocks", errors=problems, response_metadata=_messages(problems))
        return text, blocks

    def _message_body(self, message: StoredMessage) -> Params:
        body: Params = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "text": message.text,
            "ts": message.ts,
        }
        if message.blocks is not None:
            body["blocks"] = copy.deepcopy(message.blocks)
        if message.thread_ts:
            body["thread_ts"] = message.thread_ts
        return body

    # ---- methods ----

    def _auth_test(self, params: Params) -> Params:
        return {
            "url": f"https://{self.team}.slack.com/",
            "team": self.team,
            "team_id": self.team_id,
            "user": "leadclock",
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _conversations_open(self, params: Params) -> Params:
        users = [u.strip() for u in str(params.get("users") or "").split(",") if u.strip()]
        if not users:
            channel = str(params.get("channel") or "")
            if channel in self._dms.values() or channel in self._mpims.values():
                return {"channel": {"id": channel}, "already_open": True}
            raise ApiError("channel_not_found" if channel else "users_list_not_supplied")
        if len(users) == 1:
            channel, already = self._open_dm(users[0])
            return {"channel": {"id": channel}, "already_open": already, "no_op": already}
        members = frozenset(self._user(u).id for u in users)
        already = members in self._mpims
        self._mpims.setdefault(members, f"G{len(self._mpims) + 1:08d}")
        return {"channel": {"id": self._mpims[members]}, "already_open": already}

    def _chat_post_message(self, params: Params) -> Params:
        channel = self._channel(params.get("channel"))
        text, blocks = self._content(params)
        if not text and not blocks and not params.get("attachments"):
            raise ApiError("no_text")
        thread_ts = params.get("thread_ts")
        if thread_ts:
            self._find(channel, thread_ts)
        message = StoredMessage(
            channel, self._next_ts(), text, blocks, thread_ts=str(thread_ts) if thread_ts else None
        )
        self._messages.setdefault(channel, []).append(message)
        return {"channel": channel, "ts": message.ts, "message": self._message_body(message)}

    def _chat_update(self, params: Params) -> Params:
        channel = self._channel(params.get("channel"))
        index, old = self._find(channel, params.get("ts"))
        text, blocks = self._content(params)
        if "text" not in params and "blocks" not in params:
            raise ApiError("no_text")
        new = replace(
            old,
            text=text if "text" in params else old.text,
            blocks=blocks if "blocks" in params else old.blocks,
            edits=old.edits + 1,
        )
        self._messages[channel][index] = new
        return {
            "channel": channel,
            "ts": new.ts,
            "text": new.text,
            "message": self._message_body(new),
        }

    def _chat_post_ephemeral(self, params: Params) -> Params:
        channel = self._channel(params.get("channel"))
        self._user(params.get("user"))
        text, blocks = self._content(params)
        if not text and not blocks:
            raise ApiError("no_text")
        return {"channel": channel, "message_ts": self._next_ts()}

    def _views_publish(self, params: Params) -> Params:
        user = self._user(params.get("user_id"))
        view = params.get("view")
        if not isinstance(view, dict) or view.get("type") != "home":
            raise ApiError("invalid_arguments")
        problems = block_errors(view.get("blocks", []), max_blocks=VIEW_BLOCKS, at="/view/blocks")
        if problems:  # views.* say invalid_arguments, with the problems only in the metadata
            raise ApiError("invalid_arguments", response_metadata=_messages(problems))
        history = self._views.setdefault(user.id, [])
        stored = {
            **copy.deepcopy(view),
            "id": "V" + user.id[1:],
            "team_id": self.team_id,
            "hash": f"{len(history) + 1}.{user.id}",
        }
        history.append(stored)
        return {"view": copy.deepcopy(stored)}

    def _users_info(self, params: Params) -> Params:
        user = self._user(params.get("user"))
        return {
            "user": {
                "id": user.id,
                "team_id": self.team_id,
                "name": user.name,
                "real_name": user.real_name,
                "tz": user.tz,
                "deleted": False,
                "is_bot": user.id == self.bot_user_id,
                "profile": {"display_name": user.name, "real_name": user.real_name},
            }
        }


def _messages(problems: list[str]) -> Params:
    """Slack's ``response_metadata`` for a refusal: each problem as an ``[ERROR]`` line."""
    return {"messages": [f"[ERROR] {problem}" for problem in problems]}
