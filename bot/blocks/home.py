"""The App Home tab."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.blocks.lead_card import lead_list
from bot.blocks.limits import SECTION_TEXT
from bot.blocks.message import Block, context, divider, header
from bot.blocks.status import team_status
from sla.figures import Figures
from sla.policy import Policy
from sla.routing import RepStanding
from storage.records import LeadRecord

LIST_ROOM = 10 * SECTION_TEXT
"""Characters of lead lines App Home shows, some two hundred leads: more than a reply
(`bot.blocks.lead_card.LIST_ROOM`), as the tab is where a rep goes to see them all, and at
most 21 sections (packing leaves any two neighbours over 3,000 characters together), so
the view stays far inside its 100 blocks with the team's figures below."""


def home_view(
    records: list[LeadRecord],
    team: tuple[Figures, list[RepStanding]] | None,
    *,
    policy: Policy,
    now: datetime,
) -> dict[str, Any]:
    blocks: list[Block] = [
        header("Your open leads"),
        *lead_list(records, policy=policy, now=now, room=LIST_ROOM).blocks,
    ]
    if team is not None:
        blocks += [divider(), *team_status(*team).blocks]
    blocks.append(
        context(
            f"Updated <!date^{int(now.timestamp())}^{{date_short_pretty}} at {{time}}|just now>"
        )
    )
    return {"type": "home", "blocks": blocks}
