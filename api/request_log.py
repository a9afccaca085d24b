"""The recent requests the server answered or refused, newest last (for the app's request log, and tests)."""

from __future__ import annotations

import collections
import dataclasses
import threading


@dataclasses.dataclass(frozen=True)
class RequestRecord:
    """One chat request as it ended."""

    at: float  # time.time() when it arrived
    client: str  # "host:port" of the caller
    outcome: str  # an OpenAI finish reason ("stop", "length"), "cancelled", or an error code
    status: int  # the HTTP status sent (0: the client had gone)
    stream: bool = False
    images: int = 0
    prompt_tokens: int = 0
    prompt_tokens_evaluated: int = 0
    completion_tokens: int = 0
    images_encoded: int = 0
    images_reused: int = 0
    queued_ms: float = 0.0  # waiting for the engine
    total_ms: float = 0.0
    message: str = ""  # the error message, if any
    cancel_asked_at: float | None = None  # time.monotonic() when the client's leaving was noticed
    ended_at: float = 0.0  # time.monotonic() when the engine let go of the request


class RequestLog:
    """A bounded, thread-safe list of ``RequestRecord``."""

    def __init__(self, capacity: int = 200) -> None:
        self._records: collections.deque[RequestRecord] = collections.deque(maxlen=capacity)
        self._lock = threading.Lock()

    def add(self, record: RequestRecord) -> None:
        """Remember one request; the oldest is forgotten past the capacity."""
        with self._lock:
            self._records.append(record)

    def recent(self) -> list[RequestRecord]:
        """Every remembered request, oldest first."""
        with self._lock:
            return list(self._records)
