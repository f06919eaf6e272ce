"""What can go wrong because of what a user typed or clicked, and the one place it is answered.

Listeners and flows raise these; `register_error_handler` turns them into an ephemeral reply
that says what was wrong and what would work. Anything else is logged with its traceback and
the user gets a short apology — never a stack trace, never a 500 that Slack would show as
"dispatch_failed".
"""

from __future__ import annotations

import json
import logging

from slack_bolt import App, BoltResponse
from slack_bolt.context.respond import Respond

log = logging.getLogger(__name__)


class UserError(Exception):
    """An input problem the user can fix; `message` is shown to them as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(UserError):
    """The command's words are off."""


class UnknownLead(UserError):
    def __init__(self, reference: str) -> None:
        super().__init__(
            f"I can't find a lead called `{reference}`. Lead ids look like `lead-42`; "
            "`/lead list` shows yours."
        )


class NotYourLead(UserError):
    def __init__(self, lead_id: str, assignee: str | None) -> None:
        owner = f"<@{assignee}>" if assignee else "nobody yet"
        super().__init__(
            f"`{lead_id}` belongs to {owner}. Only the assignee or a manager can act on it."
        )


class LeadClosed(UserError):
    def __init__(self, lead_id: str, status: str) -> None:
        super().__init__(f"`{lead_id}` is already {status}; closed leads take no more actions.")


class NotQualified(UserError):
    def __init__(self, lead_id: str, score: float, threshold: float) -> None:
        super().__init__(
            f"`{lead_id}` did not qualify (score {score:g}; leads qualify above {threshold:g}), "
            "so it is in nobody's queue and takes no actions."
        )


class ManagersOnly(UserError):
    def __init__(self, what: str) -> None:
        super().__init__(
            f"Only managers can {what}. Ask one of the managers named in the policy file."
        )


class Refused(UserError):
    """The action is understood but the SLA does not allow it yet (e.g. early disqualify)."""


APOLOGY = "Something went wrong on our side and nothing was changed. Please try again in a minute."


def ephemeral_body(text: str) -> str:
    return json.dumps({"response_type": "ephemeral", "text": text})


def register_error_handler(app: App) -> None:
    @app.error
    def handle(error: Exception, body: dict, respond: Respond | None = None) -> BoltResponse:
        if isinstance(error, UserError):
            text = f":warning: {error.message}"
        else:
            log.error(
                "listener failed for %s", body.get("command") or body.get("type"), exc_info=error
            )
            text = f":warning: {APOLOGY}"
        if body.get("type") in ("block_actions", "view_submission") and respond is not None:
            respond(text=text, response_type="ephemeral", replace_original=False)
            return BoltResponse(status=200, body="")
        return BoltResponse(
            status=200, body=ephemeral_body(text), headers={"content-type": "application/json"}
        )
