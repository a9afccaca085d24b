"""``SharedEngineBackend``: the window's engine as a ``Backend`` for other threads (the API server, batch jobs).

Why not a second backend: the model the user loaded is the one the API must serve, and a second
llama.cpp process would hold the whole model in memory twice. Why not call the window's backend from
those threads: a backend is used from one thread. So each ``chat`` here is queued on the engine thread
(``EngineThread.chat_for``), in turn with the window's own answers, and its events come back through a
queue that this generator reads on the caller's thread. Stopping the iteration (or ``close``) cancels
the request, whether it is still waiting for the engine thread or running there.

A local model loaded with several parallel slots answers as many requests at once (``chat_parallel``, as
``ParallelBackend``): the job runs on the engine thread in parts that give way to the window's questions
(foreign_jobs.py), and its requests are pulled here, on the caller's thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterable, Iterator, Sequence

from visiondesk.engine import (
    BackendInfo,
    CancelToken,
    EngineEvent,
    Finished,
    ImageAttachment,
    ImageSource,
    InputError,
    Message,
    ParallelRequest,
    SamplingParams,
    StopReason,
)
from visiondesk.engine.errors import EngineClosed, EngineFailure

from .engine_requests import ForeignChat
from .foreign_jobs import POLL_S, ForeignSlots, NeedRequest, PartEnded
from .worker import EngineThread

log = logging.getLogger(__name__)


class SharedEngineBackend:
    """A ``Backend`` whose chats run on the window's engine thread; it never loads or closes the model."""

    def __init__(self, engine: EngineThread) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._live: set[CancelToken] = set()

    @property
    def info(self) -> BackendInfo | None:
        """The model loaded in the window, or None."""
        return self._engine.worker.info

    def load(self, target: object) -> BackendInfo:
        """Refused: the model is chosen in the window, which owns the engine."""
        raise InputError("This backend serves the model loaded in the VisionDesk window; load models there.")

    def prepare_images(self, images: Sequence[ImageSource | ImageAttachment],
                       history: Sequence[Message] | None = None) -> None:
        """Queued on the engine thread like a chat (the window's own answers never wait for it)."""
        self._engine.prepare_images(images, history)

    def drop_prepared_images(self, images: Sequence[ImageSource | ImageAttachment]) -> None:
        """Queued on the engine thread: stop preparing ``images`` and free what was."""
        self._engine.drop_prepared_images(images)

    def reset_conversation(self) -> None:
        """Nothing to forget here: the engine's cache is shared with the window and keyed by content."""

    def close(self) -> None:
        """Cancel this backend's requests (any thread); the window's engine and model stay."""
        with self._lock:
            live = list(self._live)
        for token in live:
            token.cancel()

    def chat(self, messages: Sequence[Message], sampling: SamplingParams = SamplingParams(),
             cancel: CancelToken | None = None) -> Iterator[EngineEvent]:
        """Queue the chat on the engine thread and yield its events here; the last is always ``Finished``."""
        cancel = cancel or CancelToken()
        if not self._engine.accepting:
            yield Finished(StopReason.ERROR, time.monotonic(), error=EngineClosed("VisionDesk was closing"))
            return
        job = ForeignChat(tuple(messages), sampling, cancel)
        with self._lock:
            self._live.add(cancel)
        finished = False
        try:
            self._engine.chat_for(job)
            while True:
                try:
                    event = job.events.get(timeout=POLL_S)
                except queue.Empty:
                    if cancel.cancelled and not job.started.is_set():  # still behind the window's answer
                        finished = True
                        yield Finished(StopReason.CANCELLED, time.monotonic())
                        return
                    if not self._engine.accepting:  # shut down with this job still queued: it will never run
                        cancel.cancel()
                        finished = True
                        yield Finished(StopReason.CANCELLED, time.monotonic())
                        return
                    continue
                if isinstance(event, Finished):
                    finished = True
                yield event
                if finished:
                    return
        finally:
            if not finished:  # the caller stopped reading: stop the answer on the engine thread too
                cancel.cancel()
            with self._lock:
                self._live.discard(cancel)

    @property
    def parallel_slots(self) -> int:
        """Requests the window's model answers at once (a local model's ``ModelSpec.parallel``; else 1)."""
        return int(getattr(self.info, "parallel", 1) or 1)

    def chat_parallel(self, requests: Iterable[ParallelRequest],
                      cancel: CancelToken | None = None) -> Iterator[tuple[int, EngineEvent]]:
        """Answer ``requests`` in the window's model's slots, pulled here as slots free up: ``(key, event)`` pairs.

        Raises ``VisionDeskError`` if the model changes in between (another model's answers would be mixed in).
        """
        cancel = cancel or CancelToken()
        info = self.info
        pending = iter(requests)
        left = True
        with self._lock:
            self._live.add(cancel)
        ended = False
        try:
            if info is None:
                raise EngineFailure("No model is loaded: load one in the window first.")
            while left and not cancel.cancelled:
                job = ForeignSlots(info, cancel)
                self._engine.run_slots(job)
                while not isinstance(item := self._next(job), PartEnded):
                    if isinstance(item, NeedRequest):
                        request = next(pending, None)
                        left = request is not None
                        job.requests.put(request)
                    else:
                        yield item
                if item.error is not None:
                    raise item.error
            ended = True
        finally:
            if not ended:  # the caller stopped reading (or the model changed): stop what runs on the engine thread
                cancel.cancel()
            with self._lock:
                self._live.discard(cancel)

    def _next(self, job: ForeignSlots) -> tuple[int, EngineEvent] | NeedRequest | PartEnded:
        """The part's next item; ``PartEnded`` too when it will never run (cancelled while queued, shut down)."""
        while True:
            try:
                return job.events.get(timeout=POLL_S)
            except queue.Empty:
                if not job.started.is_set() and (job.cancel.cancelled or not self._engine.accepting):
                    job.cancel.cancel()
                    return PartEnded()
