"""Slash commands: `/attempt`, `/lead`, `/sla`."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners.commands.attempt import attempt_command
from bot.listeners.commands.lead import lead_command
from bot.listeners.commands.sla import sla_command


def register(app: App) -> None:
    app.command("/attempt")(attempt_command)
    app.command("/lead")(lead_command)
    app.command("/sla")(sla_command)
