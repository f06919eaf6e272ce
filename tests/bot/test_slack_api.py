"""SlackApi over the real WebClient and real HTTP, against the stand-in with injected faults."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from slack_sdk import WebClient

from bot.slack_api import (
    PostedMessage,
    SlackApi,
    SlackCallFailed,
    SlackUnavailable,
    SlackUser,
)
from bot.slack_standin import SlackStandIn

TOKEN = "xoxb-4242-secret-token-never-logged"
HOME = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    with SlackStandIn() as running:
        yield running


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def api(standin: SlackStandIn, sleeps: list[float]) -> SlackApi:
    return SlackApi.connect(TOKEN, standin.base_url, timeout=5, sleep=sleeps.append)


# ---- each method ----


def test_auth_test(api: SlackApi) -> None:
    data = api.auth_test()
    assert data["ok"] is True and data["user_id"] == "U0LEADBOT"


def test_post_message_returns_where_it_landed(api, standin) -> None:
    posted = api.post_message("C0SLA", text="Daily summary", blocks=[{"type": "divider"}])
    assert isinstance(posted, PostedMessage) and posted.channel == "C0SLA"
    [message] = standin.messages("C0SLA")
    assert (message.ts, message.text, message.blocks) == (
        posted.ts,
        "Daily summary",
        [{"type": "divider"}],
    )


def test_post_dm_opens_the_dm_once_per_user(api, standin) -> None:
    first = api.post_dm("U0REP1", text="lead-1 is yours")
    second = api.post_dm("U0REP1", text="lead-2 is yours")
    api.post_dm("U0REP2", text="lead-3 is yours")
    assert first.channel == second.channel == standin.dm_channel_of("U0REP1")
    assert len(standin.calls("conversations.open")) == 2  # one per user, not per post
    assert [m.text for m in standin.messages(first.channel)] == [
        "lead-1 is yours",
        "lead-2 is yours",
    ]


def test_open_dm_is_cached(api, standin) -> None:
    assert api.open_dm("U0REP1") == api.open_dm("U0REP1") == "D0REP1"
    assert len(standin.calls("conversations.open")) == 1


def test_update_message_edits_in_place(api, standin) -> None:
    posted = api.post_dm("U0REP1", text="4h left", blocks=[{"type": "divider"}])
    api.update_message(posted.channel, posted.ts, text="3h left")
    [message] = standin.messages(posted.channel)
    assert (message.text, message.edits) == ("3h left", 1)
    assert message.blocks == [{"type": "divider"}]  # blocks=None keeps them, as in Slack
    api.update_message(posted.channel, posted.ts, text="gone", blocks=[])
    assert standin.messages(posted.channel)[0].blocks == []


def test_update_of_unknown_ts_fails_without_retry(api, standin, sleeps) -> None:
    api.post_message("C0SLA", text="x")
    with pytest.raises(SlackCallFailed) as caught:
        api.update_message("C0SLA", "1699999999.000001", text="y")
    assert (caught.value.method, caught.value.error) == ("chat.update", "message_not_found")
    assert len(standin.calls("chat.update")) == 1 and sleeps == []


def test_post_ephemeral(api, standin) -> None:
    message_ts = api.post_ephemeral("C0SLA", "U0REP1", text="attempt 1 of 5")
    assert message_ts.startswith("1700000000.")
    [call] = standin.calls("chat.postEphemeral")
    assert (call.params["channel"], call.params["user"]) == ("C0SLA", "U0REP1")


def test_publish_home(api, standin) -> None:
    assert api.publish_home("U0REP1", HOME) is None
    assert standin.published_views("U0REP1")[0]["blocks"] == HOME["blocks"]


def test_user_info(api, standin) -> None:
    standin.add_user("U0ANA", name="ana", real_name="Ana Ruiz", tz="Europe/Madrid")
    assert api.user_info("U0ANA") == SlackUser(
        id="U0ANA", name="ana", real_name="Ana Ruiz", tz="Europe/Madrid"
    )


def test_user_info_is_cached_until_the_ttl_expires(standin, sleeps) -> None:
    clock = FakeClock()
    api = SlackApi.connect(TOKEN, standin.base_url, sleep=sleeps.append, clock=clock, user_ttl=600)
    standin.add_user("U0ANA", real_name="Ana Ruiz")
    assert api.user_info("U0ANA").real_name == "Ana Ruiz"
    standin.add_user("U0ANA", real_name="Ana Ruiz-Lopez")
    clock.now += 599
    assert api.user_info("U0ANA").real_name == "Ana Ruiz"  # still cached
    assert len(standin.calls("users.info")) == 1
    clock.now += 1
    assert api.user_info("U0ANA").real_name == "Ana Ruiz-Lopez"  # expired: asked again
    assert len(standin.calls("users.info")) == 2


def test_unknown_user_is_a_call_failure() -> None:
    with SlackStandIn(auto_users=False) as standin:
        api = SlackApi.connect(TOKEN, standin.base_url, sleep=lambda _: None)
        with pytest.raises(SlackCallFailed) as caught:
            api.user_info("U0GHOST")
        assert caught.value.error == "user_not_found"


def test_call_reaches_methods_slack_sdk_does_not_know(api) -> None:
    with pytest.raises(SlackCallFailed) as caught:
        api.call("leads.teleport", lead="lead-1")
    assert caught.value.error == "unknown_method"


# ---- auth ----


def test_bad_token_is_a_call_failure_not_retried(standin, sleeps) -> None:
    api = SlackApi.connect("xapp-wrong-kind", standin.base_url, sleep=sleeps.append)
    with pytest.raises(SlackCallFailed) as caught:
        api.auth_test()
    assert caught.value.error == "invalid_auth"
    assert len(standin.calls()) == 1 and sleeps == []


# ---- retries ----


def test_429_waits_exactly_retry_after(api, standin, sleeps) -> None:
    standin.fail_next("chat.postMessage", status=429, retry_after=7)
    posted = api.post_message("C0SLA", text="hello")
    assert sleeps == [7.0]
    assert [c.http_status for c in standin.calls("chat.postMessage")] == [429, 200]
    assert [m.ts for m in standin.messages("C0SLA")] == [posted.ts]


def test_429_with_a_retry_after_beyond_the_limit_gives_up_at_once(standin, sleeps) -> None:
    api = SlackApi.connect(TOKEN, standin.base_url, sleep=sleeps.append, max_retry_after=60)
    standin.fail_next("chat.postMessage", status=429, retry_after=3600)
    with pytest.raises(SlackUnavailable) as caught:
        api.post_message("C0SLA", text="hello")
    assert caught.value.attempts == 1 and "rate limited" in caught.value.reason
    assert sleeps == []


def test_longest_call_counts_every_attempt_timing_out_and_the_longest_waits(
    standin, sleeps
) -> None:
    api = SlackApi.connect(
        TOKEN, standin.base_url, timeout=5, attempts=3, max_retry_after=60, sleep=sleeps.append
    )
    standin.fail_next("chat.postMessage", status=429, retry_after=60, times=3)
    with pytest.raises(SlackUnavailable):
        api.post_message("C0SLA", text="hello")
    assert sleeps == [60.0, 60.0]  # the worst waits the call really made
    assert api.longest_call == timedelta(seconds=3 * 5 + 2 * 60)
    defaults = SlackApi.connect(TOKEN, standin.base_url)
    assert defaults.longest_call == timedelta(seconds=4 * 10 + 3 * 120)


def test_500_is_retried_with_backoff_then_succeeds(api, standin, sleeps) -> None:
    standin.fail_next("chat.postMessage", status=500, times=2)
    api.post_message("C0SLA", text="hello")
    assert sleeps == [0.5, 1.0]
    assert [c.http_status for c in standin.calls("chat.postMessage")] == [500, 500, 200]
    assert len(standin.messages("C0SLA")) == 1


def test_repeated_500_gives_up_after_n_attempts(api, standin, sleeps) -> None:
    standin.fail_next("chat.postMessage", status=502, times=10)
    with pytest.raises(SlackUnavailable) as caught:
        api.post_message("C0SLA", text="hello")
    assert caught.value.method == "chat.postMessage"
    assert caught.value.attempts == 4 and "502" in caught.value.reason
    assert len(standin.calls("chat.postMessage")) == 4
    assert sleeps == [0.5, 1.0, 2.0]
    assert standin.messages("C0SLA") == []


def test_backoff_is_bounded(standin, sleeps) -> None:
    api = SlackApi.connect(
        TOKEN, standin.base_url, sleep=sleeps.append, attempts=6, backoff=1.0, max_backoff=3.0
    )
    standin.fail_next("auth.test", status=503, times=6)
    with pytest.raises(SlackUnavailable):
        api.auth_test()
    assert sleeps == [1.0, 2.0, 3.0, 3.0, 3.0]


def test_timeout_is_retried(standin, sleeps) -> None:
    api = SlackApi.connect(TOKEN, standin.base_url, timeout=0.2, sleep=sleeps.append)
    standin.fail_next("chat.postMessage", delay=0.5)
    posted = api.post_message("C0SLA", text="hello")
    assert len(sleeps) == 1
    assert len(standin.calls("chat.postMessage")) == 2
    assert [m.ts for m in standin.messages("C0SLA")] == [posted.ts]


def test_unreachable_slack_gives_up_after_n_attempts(sleeps) -> None:
    standin = SlackStandIn().start()
    base_url = standin.base_url
    standin.stop()  # nothing listens on that port any more
    api = SlackApi.connect(TOKEN, base_url, timeout=1, sleep=sleeps.append)
    with pytest.raises(SlackUnavailable) as caught:
        api.auth_test()
    assert caught.value.attempts == 4 and len(sleeps) == 3


def test_slack_level_error_is_not_retried(api, standin, sleeps) -> None:
    standin.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackCallFailed) as caught:
        api.post_message("C0GONE", text="hello")
    assert (caught.value.method, caught.value.error) == ("chat.postMessage", "channel_not_found")
    assert len(standin.calls("chat.postMessage")) == 1 and sleeps == []


def test_transient_slack_level_error_is_retried(api, standin, sleeps) -> None:
    standin.fail_next("views.publish", error="service_unavailable")
    api.publish_home("U0REP1", HOME)
    assert sleeps == [0.5]
    assert len(standin.published_views("U0REP1")) == 1


# ---- construction ----


def test_refuses_a_client_with_its_own_retry_handlers(standin) -> None:
    with pytest.raises(ValueError, match="retry_handlers"):
        SlackApi(WebClient(token=TOKEN, base_url=standin.base_url))


def test_connect_tolerates_a_base_url_without_trailing_slash(standin) -> None:
    api = SlackApi.connect(TOKEN, standin.base_url.rstrip("/"))
    assert api.auth_test()["ok"] is True


# ---- logging ----


def test_logs_name_methods_and_attempts_but_never_the_token_or_text(api, standin, caplog) -> None:
    secret_text = "Call ACME's CFO on +1-555-0100"
    caplog.set_level(logging.DEBUG)
    standin.fail_next("chat.postMessage", status=429, retry_after=1)
    standin.fail_next("chat.update", status=500, times=4)
    posted = api.post_dm("U0REP1", text=secret_text)
    with pytest.raises(SlackUnavailable):
        api.update_message(posted.channel, posted.ts, text=secret_text)
    standin.fail_next("users.info", error="user_not_found")
    with pytest.raises(SlackCallFailed):
        api.user_info("U0REP1")

    assert "chat.postMessage attempt 1/4" in caplog.text
    assert "chat.update unavailable after 4 attempt(s)" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN.split("-", 2)[2] not in caplog.text
    ours = [r for r in caplog.records if r.name.startswith("bot.")]
    assert ours and all(secret_text not in r.getMessage() for r in ours)
    assert all(
        secret_text not in r.getMessage() for r in caplog.records if r.levelno >= logging.INFO
    )
