"""Running the Flask app on waitress, in the foreground (`serve`) or a thread (sandbox)."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from waitress.server import create_server


class HttpServer:
    def __init__(
        self, app: Flask, *, host: str = "127.0.0.1", port: int = 0, threads: int = 8
    ) -> None:
        self._server = create_server(
            app, host=host, port=port, threads=threads, max_request_body_size=8 * 1024 * 1024
        )
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.effective_port)  # type: ignore[union-attr]

    def serve_forever(self) -> None:
        self._server.run()

    def start_in_thread(self) -> None:
        self._thread = threading.Thread(target=self._server.run, name="leadclock-http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Let requests in flight finish, then close every socket so the loop ends."""
        server: Any = self._server
        server.task_dispatcher.shutdown(cancel_pending=False, timeout=5)
        if self._thread is None:  # foreground: a signal handler on the loop's own thread
            _close_all(server)
            return
        # From another thread, closing the sockets under the loop's select() left it waiting
        # out its 1 s timeout and then dying on the closed descriptors (EBADF). The trigger
        # wakes the loop at once and the sockets are closed on its own thread; with an empty
        # map the loop ends.
        try:
            server.trigger.pull_trigger(lambda: _close_all(server))
        except OSError:  # the loop already ended and took its trigger with it
            _close_all(server)
        self._thread.join(timeout=5)


def _close_all(server: Any) -> None:
    for dispatcher in list(server._map.values()):
        dispatcher.close()
