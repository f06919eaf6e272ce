"""The one HTTP server: Slack's `/slack/events`, the intake API `/leads`, and `/healthz`."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, jsonify, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from bot.flows.intake import receive_lead
from bot.intake_payload import MAX_BODY, BadLead, authorized, parse_lead
from bot.lead_json import lead_json
from bot.runtime import Runtime
from sla.lead import LeadStatus, parse_lead_ref
from storage.repositories import leads

log = logging.getLogger(__name__)


def create_http_app(
    runtime: Runtime, bolt: App | None, *, after_commit: Callable[[], None]
) -> Flask:
    """Build the Flask app. `bolt` is None in Socket Mode, where Slack talks over a websocket."""
    web = Flask("leadclock")
    web.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    handler = SlackRequestHandler(bolt) if bolt is not None else None

    @web.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[Response, int]:
        status = error.code or 500
        message = (
            "body is larger than 1 MiB" if status == 413 else (error.description or error.name)
        )
        return jsonify(error=message), status

    @web.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[Response, int]:
        log.error("request to %s failed", request.path, exc_info=error)
        return jsonify(error="internal error; nothing was changed"), 500

    @web.get("/healthz")
    def healthz() -> tuple[Response, int]:
        try:
            with runtime.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:
            log.warning("health check: database did not answer: %s", type(error).__name__)
            return jsonify(status="unavailable", database="unreachable"), 503
        return jsonify(status="ok", database="ok"), 200

    if handler is not None:

        @web.post("/slack/events")
        def slack_events() -> Response:
            return handler.handle(request)

    @web.post("/leads")
    def post_lead() -> tuple[Response, int]:
        body = request.get_data(cache=True)
        now = runtime.clock()
        if not authorized(request.headers, body, secret=runtime.settings.intake_secret, now=now):
            return jsonify(
                error="missing or bad credentials: send Authorization: Bearer <secret> "
                "or a fresh X-Leadclock-Signature"
            ), 401
        try:
            incoming = parse_lead(body)
        except BadLead as error:
            return jsonify(error=str(error)), 400
        try:
            with runtime.transaction() as session:
                outcome = receive_lead(session, incoming, policy=runtime.policy, now=now)
        except IntegrityError:
            # A concurrent delivery of the same external_id won the race; answer as a repeat.
            with runtime.transaction() as session:
                existing = leads.by_external_id(session=session, external_id=incoming.external_id)
                record = (
                    leads.load_record(session=session, lead_id=existing.id or 0)
                    if existing
                    else None
                )
            if record is None:
                raise
            return jsonify({**lead_json(record), "duplicate": True}), 200
        if not outcome.duplicate:
            after_commit()
        status = (
            201
            if not outcome.duplicate and outcome.record.status != LeadStatus.UNQUALIFIED
            else 200
        )
        return jsonify({**lead_json(outcome.record), "duplicate": outcome.duplicate}), status

    @web.get("/leads/<reference>")
    def get_lead(reference: str) -> tuple[Response, int]:
        if not authorized(
            request.headers, b"", secret=runtime.settings.intake_secret, now=runtime.clock()
        ):
            return jsonify(error="missing or bad credentials"), 401
        number = parse_lead_ref(reference)
        with runtime.transaction(write=False) as session:
            record = leads.load_record(session=session, lead_id=number) if number else None
        if record is None:
            return jsonify(error=f"no lead {reference!r}"), 404
        return jsonify(lead_json(record)), 200

    return web
