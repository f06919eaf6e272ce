"""The stand-in answers the way slack.com/api does, to the real WebClient over real HTTP."""

from __future__ import annotations

import json
import os
import socket
import struct
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack_standin import RESPONSE_URL, SlackStandIn

TOKEN = "xoxb-test-standin"
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*lead-1* due soon"}}


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn() as running:
        yield running


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    return WebClient(token=TOKEN, base_url=standin.base_url, timeout=5, retry_handlers=[])


def slack_error(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value


def raw_post(url: str, body: bytes, content_type: str, token: str | None = TOKEN) -> dict:
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200
        return json.loads(response.read())


# ---- addresses and lifecycle ----


def test_base_url_is_local_with_trailing_slash(standin: SlackStandIn) -> None:
    assert standin.base_url.startswith("http://127.0.0.1:")
    assert standin.base_url.endswith("/api/")


def test_stop_closes_the_port_and_base_url_needs_a_running_server() -> None:
    standin = SlackStandIn().start()
    url = standin.base_url
    standin.stop()
    with pytest.raises(RuntimeError):
        _ = standin.base_url
    with pytest.raises(URLError):
        raw_post(url + "auth.test", b"", "application/x-www-form-urlencoded")


# ---- methods ----


def test_auth_test_describes_the_bot(client: WebClient) -> None:
    data = client.auth_test().data
    assert data["ok"] is True
    assert data["team_id"] == "T0LEADCLK"
    assert data["user_id"] == "U0LEADBOT"
    assert data["bot_id"] == "B0LEADBOT"
    assert data["url"].startswith("https://")


def test_conversations_open_gives_one_stable_dm_per_user(client, standin) -> None:
    first = client.conversations_open(users="U0REP1").data
    second = client.conversations_open(users="U0REP1").data
    other = client.conversations_open(users="U0REP2").data
    assert first["channel"]["id"].startswith("D")
    assert second["channel"]["id"] == first["channel"]["id"]
    assert second["already_open"] is True and first["already_open"] is False
    assert other["channel"]["id"] != first["channel"]["id"]
    assert standin.dm_channel_of("U0REP1") == first["channel"]["id"]
    assert standin.dm_channel_of("U0NOBODY") is None


def test_post_message_stores_and_answers_with_increasing_ts(client, standin) -> None:
    dm = client.conversations_open(users="U0REP1")["channel"]["id"]
    one = client.chat_postMessage(channel=dm, text="first", blocks=[SECTION]).data
    two = client.chat_postMessage(channel=dm, text="second").data
    assert one["channel"] == dm and one["message"]["text"] == "first"
    assert one["ts"] == "1700000000.000100"
    assert float(two["ts"]) > float(one["ts"])
    stored = standin.messages(dm)
    assert [(m.text, m.ts, m.edits) for m in stored] == [
        ("first", one["ts"], 0),
        ("second", two["ts"], 0),
    ]
    assert stored[0].blocks == [SECTION]


def test_post_message_needs_text_or_blocks(client) -> None:
    error = slack_error(lambda: client.api_call("chat.postMessage", json={"channel": "C0SLA"}))
    assert error.response.status_code == 200
    assert error.response["error"] == "no_text"


def test_post_to_unknown_channel_kinds(client, standin) -> None:
    assert client.chat_postMessage(channel="C0NEW", text="hello")["channel"] == "C0NEW"
    assert [m.text for m in standin.messages("C0NEW")] == ["hello"]
    assert (
        slack_error(lambda: client.chat_postMessage(channel="D0NEVEROPENED", text="x")).response[
            "error"
        ]
        == "channel_not_found"
    )


def test_strict_channels_refuse_unconfigured_ones() -> None:
    with SlackStandIn(strict_channels=True) as standin:
        standin.add_channel("C0SLA", name="sla")
        client = WebClient(token=TOKEN, base_url=standin.base_url, retry_handlers=[])
        assert client.chat_postMessage(channel="#sla", text="by name")["channel"] == "C0SLA"
        error = slack_error(lambda: client.chat_postMessage(channel="C0OTHER", text="x"))
        assert error.response["error"] == "channel_not_found"


def test_posting_to_a_user_id_lands_in_their_dm(client, standin) -> None:
    posted = client.chat_postMessage(channel="U0REP3", text="psst")
    assert posted["channel"] == standin.dm_channel_of("U0REP3")
    assert [m.text for m in standin.messages(posted["channel"])] == ["psst"]


def test_chat_update_replaces_content_and_counts_edits(client, standin) -> None:
    ts = client.chat_postMessage(channel="C0SLA", text="4h left", blocks=[SECTION])["ts"]
    new_blocks = [{"type": "divider"}]
    answer = client.chat_update(channel="C0SLA", ts=ts, text="3h left", blocks=new_blocks).data
    assert answer["ts"] == ts and answer["text"] == "3h left"
    client.chat_update(channel="C0SLA", ts=ts, text="2h left")  # blocks omitted: kept
    [message] = standin.messages("C0SLA")
    assert (message.text, message.blocks, message.edits) == ("2h left", new_blocks, 2)


def test_chat_update_of_unknown_ts_is_message_not_found(client) -> None:
    client.chat_postMessage(channel="C0SLA", text="x")
    error = slack_error(lambda: client.chat_update(channel="C0SLA", ts="1.000001", text="y"))
    assert error.response["error"] == "message_not_found"


def test_post_ephemeral_returns_message_ts_and_is_not_in_history(client, standin) -> None:
    answer = client.chat_postEphemeral(channel="C0SLA", user="U0REP1", text="only you").data
    assert answer["ok"] is True and answer["message_ts"].startswith("1700000000.")
    assert standin.messages("C0SLA") == []
    assert standin.calls("chat.postEphemeral")[0].params["user"] == "U0REP1"


def test_views_publish_keeps_each_users_home(client, standin) -> None:
    view = {"type": "home", "blocks": [SECTION]}
    answer = client.views_publish(user_id="U0REP1", view=view).data
    assert answer["view"]["id"].startswith("V")
    assert answer["view"]["blocks"] == [SECTION]
    client.views_publish(user_id="U0REP1", view={"type": "home", "blocks": []})
    homes = standin.published_views("U0REP1")
    assert [len(v["blocks"]) for v in homes] == [1, 0]
    assert standin.published_views("U0REP2") == []


def test_views_publish_refuses_a_non_home_view(client) -> None:
    error = slack_error(
        lambda: client.views_publish(user_id="U0REP1", view={"type": "modal", "blocks": []})
    )
    assert error.response["error"] == "invalid_arguments"


# ---- Block Kit limits: Slack refuses the whole message, and keeps nothing ----


def section_of(length: int) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": "x" * length}}


def test_a_section_over_3000_characters_is_invalid_blocks_with_a_pointer(client, standin) -> None:
    client.chat_postMessage(channel="C0SLA", text="fits", blocks=[SECTION, section_of(3000)])
    blocks = [SECTION, section_of(3001)]
    error = slack_error(lambda: client.chat_postMessage(channel="C0SLA", text="x", blocks=blocks))
    problem = "must be less than 3001 characters [json-pointer:/blocks/1/text/text]"
    assert error.response.status_code == 200
    assert error.response.data == {
        "ok": False,
        "error": "invalid_blocks",
        "errors": [problem],
        "response_metadata": {"messages": [f"[ERROR] {problem}"]},
    }
    assert [m.text for m in standin.messages("C0SLA")] == ["fits"]


def test_every_broken_rule_is_named(client) -> None:
    button = {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": "b" * 76}}
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c" * 3001}]},
        {"type": "actions", "elements": [button] * 26},
        {"type": "section", "text": {"type": "mrkdwn", "text": ""}},
        {"type": "section"},
        {"type": "carousel"},
    ]
    error = slack_error(lambda: client.chat_postMessage(channel="C0SLA", text="x", blocks=blocks))
    errors = error.response["errors"]
    assert errors[:4] == [
        "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
        "no more than 10 items allowed [json-pointer:/blocks/1/elements]",
        "must be less than 3001 characters [json-pointer:/blocks/2/elements/0/text]",
        "no more than 25 items allowed [json-pointer:/blocks/3/elements]",
    ]
    assert (
        errors.count(
            "must be less than 76 characters [json-pointer:/blocks/3/elements/0/text/text]"
        )
        == 1
    )
    assert errors[-3:] == [
        "must be more than 0 characters [json-pointer:/blocks/4/text/text]",
        "missing required field: text [json-pointer:/blocks/5]",
        "unsupported type: carousel [json-pointer:/blocks/6/type]",
    ]


@pytest.mark.parametrize("count, accepted", [(50, True), (51, False)])
def test_a_message_holds_at_most_50_blocks(client, standin, count, accepted) -> None:
    blocks = [{"type": "divider"}] * count

    def post() -> None:
        client.chat_postMessage(channel="C0SLA", text="x", blocks=blocks)

    if accepted:
        post()
    else:
        error = slack_error(post)
        assert error.response["errors"] == ["no more than 50 items allowed [json-pointer:/blocks]"]
    assert len(standin.messages("C0SLA")) == (1 if accepted else 0)


def test_updates_and_ephemerals_are_held_to_the_same_limits(client, standin) -> None:
    ts = client.chat_postMessage(channel="C0SLA", text="kept", blocks=[SECTION])["ts"]
    long = [section_of(3001)]
    update = slack_error(lambda: client.chat_update(channel="C0SLA", ts=ts, text="x", blocks=long))
    assert update.response["error"] == "invalid_blocks"
    [message] = standin.messages("C0SLA")
    assert (message.text, message.blocks, message.edits) == ("kept", [SECTION], 0)
    ephemeral = slack_error(
        lambda: client.chat_postEphemeral(channel="C0SLA", user="U0REP1", text="x", blocks=long)
    )
    assert ephemeral.response["error"] == "invalid_blocks"


def test_blocks_that_are_not_a_list_of_objects_are_invalid_blocks_format(standin) -> None:
    for blocks in ("[{nope", json.dumps({"type": "section"}), json.dumps(["section"])):
        body = urllib.parse.urlencode({"channel": "C0SLA", "text": "x", "blocks": blocks})
        answer = raw_post(
            standin.base_url + "chat.postMessage",
            body.encode(),
            "application/x-www-form-urlencoded",
        )
        assert answer == {"ok": False, "error": "invalid_blocks_format"}
    assert standin.messages("C0SLA") == []


def test_a_home_view_holds_100_blocks_and_is_refused_as_views_are(client, standin) -> None:
    client.views_publish(user_id="U0REP1", view={"type": "home", "blocks": [SECTION] * 100})
    view = {"type": "home", "blocks": [SECTION] * 100 + [section_of(3001)]}
    error = slack_error(lambda: client.views_publish(user_id="U0REP1", view=view))
    assert error.response.data == {
        "ok": False,
        "error": "invalid_arguments",
        "response_metadata": {
            "messages": [
                "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]",
                "[ERROR] must be less than 3001 characters"
                " [json-pointer:/view/blocks/100/text/text]",
            ]
        },
    }
    assert [len(v["blocks"]) for v in standin.published_views("U0REP1")] == [100]


def test_users_info_answers_a_user_object(client, standin) -> None:
    standin.add_user("U0ANA", name="ana", real_name="Ana Ruiz", tz="Europe/Madrid")
    user = client.users_info(user="U0ANA")["user"]
    assert user["id"] == "U0ANA" and user["name"] == "ana" and user["tz"] == "Europe/Madrid"
    assert user["profile"] == {"display_name": "ana", "real_name": "Ana Ruiz"}
    assert client.users_info(user="U0ANYONE")["user"]["tz"] == "America/New_York"


def test_unknown_users_when_users_are_not_automatic() -> None:
    with SlackStandIn(auto_users=False) as standin:
        standin.add_user("U0KNOWN")
        client = WebClient(token=TOKEN, base_url=standin.base_url, retry_handlers=[])
        assert client.users_info(user="U0KNOWN")["user"]["id"] == "U0KNOWN"
        error = slack_error(lambda: client.users_info(user="U0GHOST"))
        assert error.response["error"] == "user_not_found"
        error = slack_error(lambda: client.conversations_open(users="U0GHOST"))
        assert error.response["error"] == "user_not_found"


def test_unknown_method(client) -> None:
    error = slack_error(lambda: client.api_call("leads.teleport"))
    assert (error.response.status_code, error.response["error"]) == (200, "unknown_method")


# ---- authentication ----


def test_missing_token_is_not_authed(standin) -> None:
    client = WebClient(base_url=standin.base_url, retry_handlers=[])
    error = slack_error(client.auth_test)
    assert (error.response.status_code, error.response["error"]) == (200, "not_authed")


def test_wrong_kind_of_token_is_invalid_auth(standin) -> None:
    client = WebClient(token="xapp-1-not-a-bot-token", base_url=standin.base_url, retry_handlers=[])
    assert slack_error(client.auth_test).response["error"] == "invalid_auth"
    assert (
        raw_post(
            standin.base_url + "auth.test",
            b"",
            "application/x-www-form-urlencoded",
            token="nonsense",
        )["error"]
        == "invalid_auth"
    )


def test_user_tokens_are_accepted(standin) -> None:
    client = WebClient(token="xoxp-user", base_url=standin.base_url, retry_handlers=[])
    assert client.auth_test()["ok"] is True


# ---- request parsing and recording ----


def test_form_bodies_and_query_strings_are_parsed(standin) -> None:
    body = b"text=hi&blocks=" + urllib.request.quote(json.dumps([SECTION])).encode()
    answer = raw_post(
        standin.base_url + "chat.postMessage?channel=C0SLA",
        body,
        "application/x-www-form-urlencoded",
    )
    assert answer["ok"] is True and answer["channel"] == "C0SLA"
    [call] = standin.calls("chat.postMessage")
    assert call.params == {"channel": "C0SLA", "text": "hi", "blocks": [SECTION]}
    assert call.http_status == 200 and call.error is None


def test_malformed_json_body_is_refused(standin) -> None:
    answer = raw_post(standin.base_url + "chat.postMessage", b"{nope", "application/json")
    assert answer == {"ok": False, "error": "invalid_json"}


def test_calls_are_recorded_filtered_and_reset(client, standin) -> None:
    client.auth_test()
    client.chat_postMessage(channel="C0SLA", text="x")
    assert [c.method for c in standin.calls()] == ["auth.test", "chat.postMessage"]
    assert [c.method for c in standin.calls("auth.test")] == ["auth.test"]
    standin.reset_calls()
    assert standin.calls() == []


def test_response_url_posts_are_recorded(standin) -> None:
    url = standin.response_url("cmd-1")
    request = urllib.request.Request(
        url,
        data=json.dumps({"text": "done"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert (response.status, response.read()) == (200, b"ok")
    [call] = standin.calls(RESPONSE_URL)
    assert call.params == {"text": "done"} and call.path == "/response/cmd-1"


def test_concurrent_posts_get_unique_ts(standin) -> None:
    client = WebClient(token=TOKEN, base_url=standin.base_url, retry_handlers=[])
    seen: list[str] = []

    def post(n: int) -> None:
        seen.append(client.chat_postMessage(channel="C0SLA", text=str(n))["ts"])

    threads = [threading.Thread(target=post, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 12
    assert len(standin.messages("C0SLA")) == 12


# ---- fault injection ----


def test_fail_next_429_sends_retry_after(client, standin) -> None:
    standin.fail_next("auth.test", status=429, retry_after=7)
    error = slack_error(client.auth_test)
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "7"
    assert error.response["error"] == "ratelimited"
    assert client.auth_test()["ok"] is True  # only the next call was faulted
    assert [c.http_status for c in standin.calls("auth.test")] == [429, 200]


def test_fail_next_5xx_for_several_calls(client, standin) -> None:
    standin.fail_next("chat.postMessage", status=503, times=2)
    for _ in range(2):
        assert (
            slack_error(
                lambda: client.chat_postMessage(channel="C0SLA", text="x")
            ).response.status_code
            == 503
        )
    client.chat_postMessage(channel="C0SLA", text="x")
    assert [c.http_status for c in standin.calls("chat.postMessage")] == [503, 503, 200]
    assert len(standin.messages("C0SLA")) == 1  # the faulted calls changed nothing


def test_fail_next_slack_level_error(client, standin) -> None:
    standin.fail_next("chat.postMessage", error="is_archived")
    error = slack_error(lambda: client.chat_postMessage(channel="C0SLA", text="x"))
    assert (error.response.status_code, error.response["error"]) == (200, "is_archived")
    assert standin.calls("chat.postMessage")[0].error == "is_archived"


def test_fail_next_delay_outlasts_a_client_timeout(standin) -> None:
    impatient = WebClient(token=TOKEN, base_url=standin.base_url, timeout=0.2, retry_handlers=[])
    standin.fail_next("auth.test", delay=0.5)
    with pytest.raises((TimeoutError, URLError)):
        impatient.auth_test()
    assert len(standin.calls("auth.test")) == 1


def test_slow_success_takes_effect_even_if_the_client_gave_up(standin) -> None:
    impatient = WebClient(token=TOKEN, base_url=standin.base_url, timeout=0.2, retry_handlers=[])
    standin.fail_next("chat.postMessage", status=200, delay=0.5)
    with pytest.raises((TimeoutError, URLError)):
        impatient.chat_postMessage(channel="C0SLA", text="maybe")
    assert [m.text for m in standin.messages("C0SLA")] == ["maybe"]


def test_fail_next_rejects_zero_times(standin) -> None:
    with pytest.raises(ValueError):
        standin.fail_next("auth.test", times=0)


def test_a_held_call_takes_effect_on_arrival_and_is_answered_on_release(client, standin) -> None:
    held = standin.hold_next("chat.postMessage")
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(lambda: client.chat_postMessage(channel="C0SLA", text="held"))
        held.wait_arrived()
        assert [m.text for m in standin.messages("C0SLA")] == ["held"]
        assert not answer.done()
        client.chat_postMessage(channel="C0SLA", text="meanwhile")  # the hold was for one call
        held.release()
        assert answer.result(timeout=5)["ts"] == standin.messages("C0SLA")[0].ts


def test_a_held_refusal_changes_nothing(client, standin) -> None:
    held = standin.hold_next("chat.postMessage", error="fatal_error")
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(
            lambda: slack_error(lambda: client.chat_postMessage(channel="C0SLA", text="x"))
        )
        held.wait_arrived()
        assert standin.calls("chat.postMessage")[0].error == "fatal_error"
        held.release()
        assert answer.result(timeout=5).response["error"] == "fatal_error"
    assert standin.messages("C0SLA") == []


def test_holds_and_faults_queue_in_call_order(client, standin) -> None:
    standin.fail_next("auth.test", error="invalid_auth")
    held = standin.hold_next("auth.test")
    assert slack_error(client.auth_test).response["error"] == "invalid_auth"
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(client.auth_test)
        held.wait_arrived()
        held.release()
        assert answer.result(timeout=5)["ok"] is True


def test_stop_answers_held_calls() -> None:
    standin = SlackStandIn().start()
    client = WebClient(token=TOKEN, base_url=standin.base_url, timeout=5, retry_handlers=[])
    held = standin.hold_next("auth.test")
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(client.auth_test)
        held.wait_arrived()
        standin.stop()
        assert answer.result(timeout=5)["ok"] is True


# ---- Socket Mode ----

APP_TOKEN = "xapp-1-A0LEADCLK-1-standin"


class RawWebSocket:
    """A bare RFC 6455 client, so the tests see exactly the bytes the stand-in sends."""

    def __init__(self, url: str, *, key: str = "dGhlIHNhbXBsZSBub25jZQ==") -> None:
        parts = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
        self.stream = self.sock.makefile("rb")
        request = (
            f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.hostname}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            + (f"Sec-WebSocket-Key: {key}\r\n" if key else "")
            + "\r\n"
        )
        self.sock.sendall(request.encode())
        self.status = int(self.stream.readline().split()[1])
        self.headers: dict[str, str] = {}
        while (line := self.stream.readline().decode().strip()) != "":
            name, _, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def send(self, opcode: int, payload: bytes = b"", *, fin: bool = True, masked: bool = True):
        assert len(payload) < 126  # the tests' frames are all short
        mask = os.urandom(4) if masked else b""
        head = bytes([(0x80 if fin else 0) | opcode, (0x80 if masked else 0) | len(payload)])
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) if masked else payload
        self.sock.sendall(head + mask + body)

    def send_json(self, message: dict) -> None:
        self.send(0x1, json.dumps(message).encode())

    def receive(self) -> tuple[int, bytes] | None:
        head = self.stream.read(2)
        if len(head) < 2:
            return None
        assert head[0] & 0x80 and not head[1] & 0x80  # final and unmasked: server frames
        size = head[1] & 0x7F
        if size == 126:
            size = struct.unpack("!H", self.stream.read(2))[0]
        elif size == 127:
            size = struct.unpack("!Q", self.stream.read(8))[0]
        return head[0] & 0x0F, self.stream.read(size)

    def receive_json(self) -> dict:
        frame = self.receive()
        assert frame is not None and frame[0] == 0x1
        return json.loads(frame[1])

    def close(self) -> None:
        self.stream.close()
        self.sock.close()


@pytest.fixture
def socket_url(standin: SlackStandIn) -> str:
    client = WebClient(base_url=standin.base_url, retry_handlers=[])
    return client.apps_connections_open(app_token=APP_TOKEN)["url"]


def test_apps_connections_open_wants_an_app_level_token(standin) -> None:
    client = WebClient(base_url=standin.base_url, retry_handlers=[])
    url = client.apps_connections_open(app_token=APP_TOKEN)["url"]
    parts = urllib.parse.urlsplit(url)
    assert (parts.scheme, parts.hostname, parts.path) == ("ws", "127.0.0.1", "/link/")
    query = urllib.parse.parse_qs(parts.query)
    assert query["app_id"] == ["A0LEADCLK"] and len(query["ticket"][0]) >= 16
    assert client.apps_connections_open(app_token=APP_TOKEN)["url"] != url  # a new ticket each
    for bot_or_user in ("xoxb-bot", "xoxp-user"):
        error = slack_error(lambda t=bot_or_user: client.apps_connections_open(app_token=t))
        assert error.response["error"] == "not_allowed_token_type"
    garbage = slack_error(lambda: client.apps_connections_open(app_token="nonsense"))
    assert garbage.response["error"] == "invalid_auth"
    # an app-level token opens connections and nothing else
    app_level = WebClient(token=APP_TOKEN, base_url=standin.base_url, retry_handlers=[])
    misused = slack_error(lambda: app_level.chat_postMessage(channel="C1", text="x"))
    assert misused.response["error"] == "invalid_auth"
    assert [c.error for c in standin.calls("apps.connections.open")] == [
        None,
        None,
        "not_allowed_token_type",
        "not_allowed_token_type",
        "invalid_auth",
    ]


def test_websocket_says_hello_answers_pings_and_echoes_the_close(standin, socket_url) -> None:
    ws = RawWebSocket(socket_url)
    try:
        assert ws.status == 101
        assert ws.headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455
        hello = ws.receive_json()
        assert hello["type"] == "hello" and hello["num_connections"] == 1
        assert hello["connection_info"] == {"app_id": "A0LEADCLK"}
        assert standin.wait_for_socket_mode(timeout=5).open
        ws.send(0x9, b"are you there")
        assert ws.receive() == (0xA, b"are you there")
        ws.send(0x8, struct.pack("!H", 1000) + b"bye")
        assert ws.receive() == (0x8, struct.pack("!H", 1000))
        assert ws.receive() is None  # then the server closes the TCP connection
    finally:
        ws.close()
    [connection] = standin.socket_mode_connections()
    assert (connection.open, connection.close_code, connection.pings) == (False, 1000, 1)
    assert connection.ticket in socket_url


def test_push_envelope_returns_the_apps_ack(standin, socket_url) -> None:
    ws = RawWebSocket(socket_url)
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        ws.receive_json()  # hello
        command = {"command": "/attempt", "text": "lead-1 call", "user_id": "U0ALICE"}
        pushed = pool.submit(standin.push_envelope, "slash_commands", command, timeout=5)
        envelope = ws.receive_json()
        assert envelope == {
            "envelope_id": envelope["envelope_id"],
            "type": "slash_commands",
            "payload": command,
            "accepts_response_payload": True,
        }
        # an ack split over two frames (text, then continuation) is reassembled
        ack = {"envelope_id": envelope["envelope_id"], "payload": {"text": "logged"}}
        data = json.dumps(ack).encode()
        ws.send(0x1, data[:10], fin=False)
        ws.send(0x0, data[10:])
        assert pushed.result(timeout=5) == ack

        pushed = pool.submit(standin.push_envelope, "events_api", {"type": "event_callback"})
        event = ws.receive_json()
        assert event["accepts_response_payload"] is False
        assert (event["retry_attempt"], event["retry_reason"]) == (0, "")
        ws.send_json({"envelope_id": event["envelope_id"]})
        assert pushed.result(timeout=5) == {"envelope_id": event["envelope_id"]}
        assert standin.socket_mode_acks() == [ack, {"envelope_id": event["envelope_id"]}]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        ws.close()


def test_push_envelope_times_out_without_a_connection_or_an_ack(standin, socket_url) -> None:
    with pytest.raises(TimeoutError):
        standin.push_envelope("slash_commands", {"command": "/sla"}, timeout=0.05)
    ws = RawWebSocket(socket_url)
    try:
        ws.receive_json()  # hello
        with pytest.raises(TimeoutError):
            standin.push_envelope("slash_commands", {"command": "/sla"}, timeout=0.05)
        assert ws.receive_json()["payload"] == {"command": "/sla"}  # it was sent, not acked
    finally:
        ws.close()


def test_tickets_are_single_use_and_handshakes_are_checked(standin, socket_url) -> None:
    first = RawWebSocket(socket_url)
    second = RawWebSocket(socket_url)
    unknown = RawWebSocket(socket_url.replace("ticket=", "ticket=x"))
    client = WebClient(base_url=standin.base_url, retry_handlers=[])
    keyless = RawWebSocket(client.apps_connections_open(app_token=APP_TOKEN)["url"], key="")
    try:
        assert [ws.status for ws in (first, second, unknown, keyless)] == [101, 401, 401, 400]
    finally:
        for ws in (first, second, unknown, keyless):
            ws.close()


def test_an_unmasked_client_frame_fails_the_connection(standin, socket_url) -> None:
    ws = RawWebSocket(socket_url)
    try:
        ws.receive_json()  # hello
        ws.send(0x1, b"{}", masked=False)
        opcode, payload = ws.receive() or (None, b"")
        assert opcode == 0x8 and struct.unpack("!H", payload[:2])[0] == 1002
        assert ws.receive() is None
    finally:
        ws.close()
    assert not standin.socket_mode_connections()[0].open


def test_stop_hangs_up_open_connections() -> None:
    standin = SlackStandIn().start()
    client = WebClient(base_url=standin.base_url, retry_handlers=[])
    ws = RawWebSocket(client.apps_connections_open(app_token=APP_TOKEN)["url"])
    try:
        ws.receive_json()  # hello
        standin.stop()
        assert ws.receive() is None
    finally:
        ws.close()
        standin.stop()
