"""`leadclock`: serve, tick, db upgrade, demo."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from bot.clock import ManualClock, parse_instant, system_clock
from bot.settings import Settings, SettingsError
from sla.policy import PolicyError

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
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    sub.add_parser("demo", help="the whole loop locally, with no Slack workspace and no secrets")
    return parser


def _instant(text: str) -> object:
    try:
        return parse_instant(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


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
    from bot.wiring import build_process

    if args.command == "tick":
        from bot.scheduler import run_tick

        clock = ManualClock(args.now) if args.now else system_clock
        process = build_process(settings, clock=clock)
        result = run_tick(process.runtime, process.courier)
        s = result.sweep
        print(
            f"checked {s.checked} leads: {s.breaches} breaches, {s.reminders} reminders, "
            f"{s.assigned} assigned, {s.failed} failed; {result.sent} notifications sent"
        )
        return 0
    return _serve(settings, port=args.port, host=args.host, scheduler=not args.no_scheduler)


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

        bolt = create_bolt_app(runtime, signing_secret=None)
        socket_handler = SocketModeHandler(bolt, settings.app_token)
        socket_handler.connect()
        web = create_http_app(runtime, None, after_commit=runtime.after_commit)
        log.info("Socket Mode connected; HTTP serves /leads and /healthz")
    else:
        bolt = create_bolt_app(runtime, signing_secret=settings.require_signing_secret())
        web = create_http_app(runtime, bolt, after_commit=runtime.after_commit)
    timer = start_scheduler(runtime, process.courier) if scheduler else None
    server = HttpServer(web, host=host, port=port)

    def stop(_signum: int, _frame: FrameType | None) -> None:
        server.stop()

    signal.signal(signal.SIGTERM, stop)
    log.info(
        "leadclock listening on %s:%s (scheduler %s)", host, server.port, "on" if timer else "off"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if timer is not None:
            timer.shutdown(wait=False)
        if socket_handler is not None:
            socket_handler.close()
        courier_thread.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
