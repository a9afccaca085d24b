"""The API served from a background thread (the app's switch): start once it listens, stop gracefully.

``visiondesk serve`` runs uvicorn in the foreground; the app cannot, so here uvicorn runs in a daemon
thread on a socket bound before the thread starts: a port already in use is an ``OSError`` from
``start`` (said in the app), not a log line in a thread nobody watches. ``stop`` asks uvicorn to exit,
which cancels running requests (the app's lifespan closes the engine queue) and waits at most a few
seconds for open streams, then closes the socket so the port is free again.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import uvicorn
from starlette.applications import Starlette

log = logging.getLogger(__name__)

GRACE_S = 3  # how long open connections may take to finish when the server stops


class BackgroundServer:
    """uvicorn serving ``app`` on ``host:port`` from a daemon thread."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=GRACE_S,
                                                     access_log=False))
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout_s: float = 15.0) -> None:
        """Bind and serve; returns once requests are accepted. Raises ``OSError`` (port in use) or ``RuntimeError``."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a just-stopped server's port is reusable
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self.port = int(sock.getsockname()[1])  # the OS's choice where port was 0
        self._sock = sock
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True,
                                        name=f"visiondesk-api-{self.port}")
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"The API server did not start on {self.host}:{self.port}; the log has details.")
            time.sleep(0.01)
        log.info("API server listening on %s:%d", self.host, self.port)

    def stop(self, timeout_s: float = GRACE_S + 10.0) -> bool:
        """Stop serving and free the port; True when the thread ended in time. Idempotent."""
        self._server.should_exit = True
        stopped = True
        if self._thread is not None:
            self._thread.join(timeout_s)
            stopped = not self._thread.is_alive()
            if not stopped:
                log.warning("the API server thread did not stop within %.0f s", timeout_s)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        log.info("API server on %s:%d stopped", self.host, self.port)
        return stopped
