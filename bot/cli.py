"""`leadclock`: serve, tick, digest, report, import, db upgrade, demo."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from bot.clock import ManualClock, parse_instant, system_clock
from bot.settings import Settings, SettingsError
from sla.policy import PolicyError

if TYPE_CHECKING:
    from bot.wiring import Process

log = logging.getLogger("leadclock")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="leadclock", description="The lead SLA, instrumented in Slack."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve", help="serve Slack events, /leads and /healthz; run the scheduler"
    )
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--no-scheduler", action="store_true", help="serve only; no timer")
    tick = sub.add_parser("tick", help="one scheduler pass: nudges, countdown edits, breaches")
    tick.add_argument("--now", type=_instant, help="ISO 8601 instant with offset (default: now)")
    digest = sub.add_parser("digest", help="post the daily summary or weekly digest now")
    digest.add_argument("kind", choices=["daily", "weekly"])
    digest.add_argument("--now", type=_instant, help="ISO 8601 instant with offset (default: now)")
    report = sub.add_parser("report", help="a month's SLA figures, team and per rep")
    report.add_argument("--month", type=_month, help="YYYY-MM (default: this month)")
    report.add_argument("--format", choices=["table", "csv", "json"], default="table")
    importing = sub.add_parser(
        "import", help="import leads from a CSV file (same rules as POST /leads)"
    )
    importing.add_argument("file", type=Path)
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    sub.add_parser("demo", help="the whole loop locally, with no Slack workspace and no secrets")
    return parser


def _instant(text: str) -> object:
    try:
        return parse_instant(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _month(text: str) -> tuple[int, int]:
    try:
        year, month = (int(part) for part in text.split("-"))
        if not 1 <= month <= 12:
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a month; write it like 2026-12"
        ) from None
    return year, month


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    args = _parser().parse_args(argv)
    try:
        return _run(args)
    except (SettingsError, PolicyError) as error:
        print(f"leadclock: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `leadclock demo | head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit
        return 0


def _run(args: argparse.Namespace) -> int:
    if args.command == "demo":
        logging.getLogger().setLevel(logging.WARNING)
        from bot.demo import run_demo

        return run_demo()
    settings = Settings.from_env()
    if args.command == "db":
        from storage.engine import make_engine
        from storage.migrate import upgrade

        upgrade(make_engine(settings.database_url))
        print("database is at the latest schema")
        return 0
    if args.command == "report":
        return _report(settings, args.month, args.format)
    from bot.wiring import build_process

    if args.command == "digest":
        from bot.flows.digests import DigestKind, post_digest_now

        clock = ManualClock(args.now) if args.now else system_clock
        process = build_process(settings, clock=clock)
        runtime = process.runtime
        if not runtime.policy.slack.sla_channel:
            print("leadclock: [slack].sla_channel is not set; nowhere to post", file=sys.stderr)
            return 2
        with runtime.transaction() as session:
            post_digest_now(session, DigestKind(args.kind), policy=runtime.policy, now=clock())
        sent = process.courier.deliver_due()
        print(f"{args.kind} digest posted to {runtime.policy.slack.sla_channel} ({sent} sent)")
        return 0
    if args.command == "import":
        return _import(build_process(settings), args.file)
    if args.command == "tick":
        from bot.blocks.status import counted
        from bot.scheduler import run_tick

        clock = ManualClock(args.now) if args.now else system_clock
        process = build_process(settings, clock=clock)
        result = run_tick(process.runtime, process.courier)
        s = result.sweep
        print(
            f"checked {counted(s.checked, 'lead')}: {counted(s.breaches, 'breach')}, "
            f"{counted(s.reminders, 'reminder')}, {s.assigned} assigned, {s.failed} failed; "
            f"{counted(result.sent, 'notification')} sent"
        )
        return 0
    return _serve(settings, port=args.port, host=args.host, scheduler=not args.no_scheduler)


def _report(settings: Settings, month: tuple[int, int] | None, fmt: str) -> int:
    from bot.report import render
    from bot.wiring import load_configured_policy
    from sla.figures import figures, month_period
    from storage.engine import make_engine, transaction
    from storage.migrate import upgrade
    from storage.repositories import leads

    policy = load_configured_policy(settings)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    now = system_clock()
    local = now.astimezone(policy.calendar.zone)
    year, number = month or (local.year, local.month)
    period = month_period(year, number, policy.calendar.zone)
    with transaction(engine) as session:
        facts = leads.facts_between(session=session, start=period.start, end=period.end)
    print(render(figures(facts, period, target=policy.sla.monthly_qualified_target, now=now), fmt))
    return 0


def _import(process: Process, path: Path) -> int:
    from bot.flows.importing import read_leads
    from bot.flows.intake import receive_lead

    incoming, problems = read_leads(path)
    if problems:
        for problem in problems:
            print(f"{path}:{problem.line}: {problem.message}", file=sys.stderr)
        print(
            f"leadclock: nothing imported; fix the {len(problems)} problem(s) above",
            file=sys.stderr,
        )
        return 1
    runtime = process.runtime
    counts: dict[str, int] = {}
    for lead in incoming:
        with runtime.transaction() as session:
            outcome = receive_lead(session, lead, policy=runtime.policy, now=runtime.clock())
        label = "duplicate" if outcome.duplicate else str(outcome.record.status)
        counts[label] = counts.get(label, 0) + 1
    sent = process.courier.deliver_due()
    summary = ", ".join(f"{n} {label}" for label, n in sorted(counts.items())) or "no rows"
    print(f"imported {len(incoming)} rows: {summary}; {sent} Slack messages sent")
    return 0


def _serve(settings: Settings, *, port: int, host: str, scheduler: bool) -> int:
    from bot.courier import CourierThread
    from bot.http_app import create_http_app
    from bot.http_server import HttpServer
    from bot.scheduler import start_scheduler
    from bot.slack_app import create_bolt_app
    from bot.wiring import build_process

    process = build_process(settings)
    runtime = process.runtime
    courier_thread = CourierThread(process.courier)
    runtime.after_commit = courier_thread.kick
    courier_thread.start()
    socket_handler = None
    if settings.app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler
        from slack_sdk.errors import SlackApiError

        bolt = create_bolt_app(runtime, signing_secret=None)
        socket_handler = SocketModeHandler(bolt, settings.app_token)
        try:
            socket_handler.connect()
        except SlackApiError as error:
            courier_thread.stop()
            reason = error.response.get("error", "refused")
            raise SettingsError(
                f"Slack refused SLACK_APP_TOKEN ({reason}); use the app-level token (xapp-…) "
                "with connections:write from the app's Basic Information page"
            ) from error
        web = create_http_app(runtime, None, after_commit=runtime.after_commit)
        log.info("Socket Mode connected; HTTP serves /leads and /healthz")
    else:
        bolt = create_bolt_app(runtime, signing_secret=settings.require_signing_secret())
        web = create_http_app(runtime, bolt, after_commit=runtime.after_commit)
    timer = start_scheduler(runtime, process.courier) if scheduler else None
    server = HttpServer(web, host=host, port=port)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt  # unwinds waitress's loop in the main thread, like Ctrl-C

    signal.signal(signal.SIGTERM, stop)
    log.info(
        "leadclock listening on %s:%s (scheduler %s)", host, server.port, "on" if timer else "off"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if timer is not None:
            timer.shutdown(wait=False)
        if socket_handler is not None:
            socket_handler.close()
        courier_thread.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
