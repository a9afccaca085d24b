"""One streamed chat completion, read on its own thread so that the caller never blocks on the network.

The reader thread sends the request with the ``openai`` client and puts each parsed chunk (with its
arrival time) on a queue; the backend polls that queue in short steps, so it sees a cancel, a first-byte
or a between-chunk deadline within a few milliseconds, and then ``abort()`` cuts the connection (the
server sees it close and stops generating) and the thread ends.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from typing import Any

from .connection import Connection

JOIN_S = 0.1  # how long abort waits for the reader thread; it is a daemon, and its socket is already cut


@dataclasses.dataclass(frozen=True)
class Arrived:
    """One chunk (``openai``'s ``ChatCompletionChunk``), as parsed, and when it arrived."""

    chunk: Any
    t: float


@dataclasses.dataclass(frozen=True)
class Ended:
    """The stream ended ([DONE] or end of body)."""

    t: float


@dataclasses.dataclass(frozen=True)
class Failed:
    """The request or the stream raised ``error``."""

    error: BaseException
    t: float


StreamItem = Arrived | Ended | Failed


class StreamReader:
    """Sends ``kwargs`` to ``chat.completions.create(stream=True)`` on a thread; ``next()`` polls its output."""

    def __init__(self, conn: Connection, kwargs: dict[str, Any]) -> None:
        self._conn = conn
        self._kwargs = kwargs
        self._queue: queue.SimpleQueue[StreamItem] = queue.SimpleQueue()
        self._aborted = threading.Event()
        self._thread = threading.Thread(target=self._run, name="visiondesk-remote-stream", daemon=True)
        self.sent_at = 0.0

    def start(self) -> None:
        """Send the request."""
        self.sent_at = time.monotonic()
        self._conn.begin()  # here, not on the thread: an abort() that comes before the thread runs must win
        self._thread.start()

    def _run(self) -> None:
        try:
            if self._aborted.is_set():
                return
            stream = self._conn.client.chat.completions.create(stream=True, **self._kwargs)
            try:
                for chunk in stream:
                    self._queue.put(Arrived(chunk, time.monotonic()))
                    if self._aborted.is_set():
                        return
            finally:
                stream.close()
            self._queue.put(Ended(time.monotonic()))
        except BaseException as exc:  # noqa: BLE001 - every failure is handed to the consumer, typed there
            if not self._aborted.is_set():
                self._queue.put(Failed(exc, time.monotonic()))

    def next(self, timeout: float) -> StreamItem | None:
        """The next item, or None when nothing came within ``timeout`` seconds."""
        try:
            return self._queue.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None

    def abort(self) -> None:
        """Cut the connection and let the thread end (waits at most ``JOIN_S``)."""
        self._aborted.set()
        self._conn.abort()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(JOIN_S)
