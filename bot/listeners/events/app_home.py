"""App Home: the reader's open leads with countdowns; managers also see the team's figures."""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from bot.blocks.home import home_view
from bot.flows.status import current_figures
from bot.listeners.context import runtime_of
from storage.repositories import leads


def app_home_opened(event: dict[str, Any], context: BoltContext) -> None:
    if event.get("tab", "home") != "home":
        return
    runtime = runtime_of(context)
    user = event["user"]
    now = runtime.clock()
    with runtime.transaction(write=False) as session:
        records = [
            r
            for lead in leads.open_leads_of(session=session, assignee=user)
            if (r := leads.load_record(session=session, lead_id=lead.id or 0)) is not None
        ]
        team = (
            current_figures(session, policy=runtime.policy, now=now)
            if runtime.policy.is_manager(user)
            else None
        )
    runtime.slack.publish_home(user, home_view(records, team, policy=runtime.policy, now=now))
