"""A cancel token the caller sets from any thread; the engine checks it between steps."""

from __future__ import annotations

import threading
import time


class CancelToken:
    """Thread-safe flag that asks a running request to stop."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.cancelled_at: float | None = None

    def cancel(self) -> None:
        """Ask the request to stop; records when (``time.monotonic``)."""
        if not self._event.is_set():
            self.cancelled_at = time.monotonic()
            self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether cancel was asked for."""
        return self._event.is_set()
