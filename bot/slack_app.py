"""Building the Bolt app: client pointed at SLACK_API_URL, middleware, listeners, errors."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from bot.errors import register_error_handler
from bot.listeners import register_listeners
from bot.listeners.context import install
from bot.runtime import Runtime


def create_bolt_app(runtime: Runtime, *, signing_secret: str | None) -> App:
    """`signing_secret` None means Socket Mode, where requests are not signed over HTTP.

    `process_before_response` keeps the work inside the request, so a command's reply is the
    committed result (listeners are quick: the Slack calls they cause go through the courier).
    """
    client = WebClient(
        token=runtime.settings.require_bot_token(), base_url=runtime.settings.slack_api_url
    )
    app = App(
        client=client,
        signing_secret=signing_secret,
        process_before_response=True,
        request_verification_enabled=signing_secret is not None,
        token_verification_enabled=False,
    )
    install(app, runtime)
    register_listeners(app)
    register_error_handler(app)
    return app
