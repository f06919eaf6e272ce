"""The stand-in answers the way slack.com/api does, to the real WebClient over real HTTP."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
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
