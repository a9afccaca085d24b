"""Watches one streamed request from a helper thread, so that the caller's thread only reads the stream.

The caller iterates the ``openai`` stream itself (no hand-off per chunk: tokens/s stays the server's). While
it is blocked on the network, the watchdog looks every ``POLL_S`` at the cancel token and at the deadlines
(first byte, between chunks). When one of them fires it cuts the connection (``Connection.abort``): the
blocked read fails at once, the caller asks ``reason`` why, and the server sees the connection close and
stops generating.
"""

from __future__ import annotations

import threading
import time
from typing import Literal

from ..cancel import CancelToken
from .connection import Connection
from .target import Timeouts

POLL_S = 0.02
Reason = Literal["cancelled", "first byte", "between chunks"]


class Watchdog:
    """Cuts ``conn`` on cancel or on a missed deadline; ``reason`` says which, None while neither happened."""

    def __init__(self, conn: Connection, cancel: CancelToken, timeouts: Timeouts) -> None:
        self._conn = conn
        self._cancel = cancel
        self._timeouts = timeouts
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="visiondesk-remote-watchdog", daemon=True)
        self.reason: Reason | None = None
        self.started_at = 0.0
        self.last = 0.0  # when the last chunk arrived (or the request was sent)
        self.had_chunk = False
        self.paused = False  # the caller holds a yielded event: its own time, not the server's

    def start(self) -> None:
        """Arm it just before the request is sent (on the caller's thread: an earlier abort must not win)."""
        self.started_at = self.last = time.monotonic()
        self._conn.begin()
        self._thread.start()

    def chunk(self, t: float) -> None:
        """A chunk arrived at ``t``."""
        self.last = t
        self.had_chunk = True

    def resume(self) -> None:
        """The caller asked for the next event: the between-chunk clock restarts now."""
        self.last = time.monotonic()
        self.paused = False

    @property
    def limit(self) -> float:
        """The deadline in force, in seconds after ``last``."""
        return self._timeouts.between_chunks_s if self.had_chunk else self._timeouts.first_byte_s

    def _run(self) -> None:
        while not self._stop.wait(POLL_S):
            if self._cancel.cancelled:
                self._fire("cancelled")
                return
            if not self.paused and time.monotonic() - self.last > self.limit:
                self._fire("between chunks" if self.had_chunk else "first byte")
                return

    def _fire(self, reason: Reason) -> None:
        self.reason = reason
        self._conn.abort()

    def stop(self) -> None:
        """The request is over; the thread ends within ``POLL_S``."""
        self._stop.set()
