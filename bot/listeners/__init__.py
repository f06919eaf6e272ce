"""Bolt listeners, one module per surface. Each package exposes `register(app)`."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, commands, events


def register_listeners(app: App) -> None:
    commands.register(app)
    actions.register(app)
    events.register(app)
