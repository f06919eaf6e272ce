"""Middleware that hands every listener the process `Runtime` through Bolt's context."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App, BoltContext

from bot.runtime import Runtime

RUNTIME = "leadclock_runtime"


def install(app: App, runtime: Runtime) -> None:
    @app.middleware
    def inject_runtime(context: BoltContext, next: Callable[[], None]) -> None:
        context[RUNTIME] = runtime
        next()


def runtime_of(context: BoltContext) -> Runtime:
    return context[RUNTIME]
