"""One engine, many HTTP requests: a first-come, first-served queue in front of the backend.

A backend is used from one thread at a time, and its ``chat`` blocks. One worker thread runs the
requests in the order they arrived and hands each event to the asyncio side through
``call_soon_threadsafe``. A request cancelled while it waits never reaches the engine; one cancelled
while it runs ends through its ``CancelToken`` (the local engine stops within 0.2 s). Past
``max_waiting`` requests behind the running one, new requests get a 429 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import logging
import math
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from visiondesk.engine import (
    Backend,
    CancelToken,
    EngineEvent,
    Finished,
    Message,
    SamplingParams,
    StopReason,
    TextDelta,
)
from visiondesk.engine.errors import EngineFailure

from .errors import ApiError

log = logging.getLogger(__name__)


@dataclasses.dataclass(eq=False)
class Generation:
    """One request's place in the queue and its stream of events; the last event is ``Finished``."""

    id: int
    cancel: CancelToken
    queued_at: float  # time.monotonic()
    started_at: float | None = None  # when the engine took it up
    finished: Finished | None = None
    texts: int = 0  # text events the engine produced
    _events: asyncio.Queue[EngineEvent] = dataclasses.field(default_factory=asyncio.Queue)

    def post(self, loop: asyncio.AbstractEventLoop, event: EngineEvent) -> None:
        """Hand ``event`` to the listener on ``loop``, from any thread."""
        try:
            loop.call_soon_threadsafe(self._events.put_nowait, event)
        except RuntimeError:  # the loop has closed: nobody is listening any more
            self.cancel.cancel()

    async def next_event(self) -> EngineEvent:
        """The engine's next event; after ``Finished`` there are none."""
        return await self._events.get()

    async def events(self) -> AsyncIterator[EngineEvent]:
        """The engine's events as they come, through ``Finished``."""
        while True:
            event = await self._events.get()
            yield event
            if isinstance(event, Finished):
                return


class EngineQueue:
    """Runs chat requests on ``backend`` one at a time, in arrival order, off the event loop."""

    def __init__(self, backend: Backend[Any], max_waiting: int) -> None:
        self._backend = backend
        self._max_waiting = max_waiting
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="visiondesk-api-engine")
        self._lock = threading.Lock()
        self._live: set[Generation] = set()
        self._durations: collections.deque[float] = collections.deque(maxlen=16)
        self._next_id = 0

    @property
    def in_flight(self) -> int:
        """Requests running or waiting."""
        with self._lock:
            return len(self._live)

    def submit(self, messages: Sequence[Message], sampling: SamplingParams,
               on_end: Callable[[Generation], None] | None = None) -> Generation:
        """Queue a request; raises a 429 ``ApiError`` when the queue is full. Call from the event loop.

        ``on_end`` runs on the engine's thread once the engine has let go of the request, before the
        final event is handed on (whether or not anyone still listens).
        """
        loop = asyncio.get_running_loop()
        with self._lock:
            if len(self._live) > self._max_waiting:  # one running plus max_waiting waiting
                wait = self._expected_wait_s(len(self._live))
                raise ApiError(429, f"The model is busy: {len(self._live) - 1} requests are already waiting. Try "
                               f"again in about {wait} s.", code="queue_full", type_="rate_limit_error",
                               headers={"Retry-After": str(wait)})
            self._next_id += 1
            generation = Generation(self._next_id, CancelToken(), time.monotonic())
            self._live.add(generation)
        try:
            self._executor.submit(self._run, generation, list(messages), sampling, loop, on_end)
        except RuntimeError:  # the executor was shut down: the server is stopping
            with self._lock:
                self._live.discard(generation)
            raise ApiError(503, "The server is shutting down.", code="shutting_down", type_="server_error") from None
        return generation

    def _expected_wait_s(self, ahead: int) -> int:
        typical = sorted(self._durations)[len(self._durations) // 2] if self._durations else 1.0
        return max(1, math.ceil(typical * ahead))

    def _run(self, generation: Generation, messages: list[Message], sampling: SamplingParams,
             loop: asyncio.AbstractEventLoop, on_end: Callable[[Generation], None] | None) -> None:
        """The worker thread: answer one request and forward its events."""
        final: Finished | None = None
        generation.started_at = time.monotonic()
        try:
            if generation.cancel.cancelled:  # the client left while waiting
                final = Finished(StopReason.CANCELLED, time.monotonic())
            else:
                for event in self._backend.chat(messages, sampling, generation.cancel):
                    if isinstance(event, Finished):
                        final = event
                    else:
                        generation.texts += isinstance(event, TextDelta)
                        generation.post(loop, event)
        except Exception:  # a failing backend must not stop the queue
            log.exception("the backend failed on request %s", generation.id)
            final = Finished(StopReason.ERROR, time.monotonic(), error=EngineFailure(
                "The engine failed unexpectedly; the server's log has the details."))
        finally:
            if final is None:
                final = Finished(StopReason.ERROR, time.monotonic(), error=EngineFailure(
                    "The engine ended the answer without a final event."))
            generation.finished = final
            with self._lock:
                self._live.discard(generation)
                self._durations.append(final.t - generation.started_at)
            if on_end is not None:
                try:
                    on_end(generation)
                except Exception:
                    log.exception("recording request %s failed", generation.id)
            generation.post(loop, final)

    def close(self) -> None:
        """Cancel every request and wait for the worker to finish (the backend stays open)."""
        with self._lock:
            live = list(self._live)
        for generation in live:
            generation.cancel.cancel()
        self._executor.shutdown(wait=True)
