"""Block actions: the buttons on the lead's DM card."""

from __future__ import annotations

from slack_bolt import App

from bot.ids import ActionId
from bot.listeners.actions.log_attempt import log_attempt_action


def register(app: App) -> None:
    for action in ActionId:
        app.action(action.value)(log_attempt_action)
