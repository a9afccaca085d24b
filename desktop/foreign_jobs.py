"""Work other threads queue on the engine thread (the API server, a batch job), and how that thread answers it.

``ForeignChat`` (engine_requests.py): one chat; the engine thread puts its events into a plain queue the caller reads.

``ForeignSlots``: one part of a parallel job, many requests answered at once in the local engine's slots
(``ParallelBackend.chat_parallel``). Its requests are pulled on the caller's thread, never on the engine
thread: when a slot frees up the engine thread asks for one (``NeedRequest``) and waits for the answer. So a
batch job reads and hashes its images, and appends to its result file, from its own thread only. The engine
thread stays shared: once the window (or another thread) has queued a chat, a plan or a load (``QueuedWork``), the
part takes no more requests, lets those in its slots finish and ends (``PartEnded``); the caller queues the
next part behind that work. A question asked in the window meanwhile waits for the images being answered,
never for the whole batch.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QCoreApplication
from visiondesk.engine import (
    Backend,
    BackendInfo,
    CancelToken,
    EngineCrashed,
    EngineEvent,
    Finished,
    ParallelBackend,
    ParallelRequest,
    StopReason,
    VisionDeskError,
)

from .engine_requests import ForeignChat

log = logging.getLogger(__name__)

POLL_S = 0.05  # how often a wait here looks at its cancel token


@dataclasses.dataclass(frozen=True)
class NeedRequest:
    """A slot is free: the caller answers with the next request on ``ForeignSlots.requests`` (None: none left)."""


@dataclasses.dataclass(frozen=True)
class PartEnded:
    """The part is over (its requests all finished); ``error`` when it could not run at all."""

    error: VisionDeskError | None = None


SlotsItem = tuple[int, EngineEvent] | NeedRequest | PartEnded


@dataclasses.dataclass(frozen=True, eq=False)
class ForeignSlots:
    """One part of another thread's parallel job, for the model ``info`` names (another model: refused)."""

    info: BackendInfo
    cancel: CancelToken
    events: queue.SimpleQueue[SlotsItem] = dataclasses.field(default_factory=queue.SimpleQueue)
    requests: queue.SimpleQueue[ParallelRequest | None] = dataclasses.field(default_factory=queue.SimpleQueue)
    started: threading.Event = dataclasses.field(default_factory=threading.Event)


class QueuedWork:
    """How many chats, plans and loads are queued for the engine thread and not yet taken up (any thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    def add(self) -> None:
        """One more is queued."""
        with self._lock:
            self._count += 1

    def took(self) -> None:
        """The engine thread took one up."""
        with self._lock:
            self._count = max(0, self._count - 1)

    def __bool__(self) -> bool:
        return self._count > 0


def answer_chat(engine: Callable[[], Backend[Any]], job: ForeignChat, stopping: bool) -> None:
    """On the engine thread: stream ``job``'s answer into its queue, ``Finished`` last whatever happens."""
    job.started.set()  # before looking at the token: a caller that saw it unset may leave (see SharedEngineBackend)
    if stopping or job.cancel.cancelled:
        job.events.put(Finished(StopReason.CANCELLED, time.monotonic()))
        return
    error: VisionDeskError
    try:
        for ev in engine().chat(list(job.messages), job.params, cancel=job.cancel):
            job.events.put(ev)
            if isinstance(ev, Finished):
                return
        error = VisionDeskError(QCoreApplication.translate("ForeignJobs", "The answer ended without a result."))
    except Exception as exc:
        error = _as_error(exc, "a request from another thread")
    job.events.put(Finished(StopReason.ERROR, time.monotonic(), error=error))


def _as_error(exc: Exception, what: str) -> VisionDeskError:
    """What the caller on another thread is told when its work on the engine thread raised ``exc`` (in ``except``)."""
    if isinstance(exc, VisionDeskError):
        return exc
    if isinstance(exc, (OSError, EOFError)):
        log.warning("engine connection lost in %s: %r", what, exc)
        return EngineCrashed(None)
    log.exception("unexpected error in %s", what)
    return VisionDeskError(f"{type(exc).__name__}: {exc}")


def answer_slots(engine: Backend[Any] | None, job: ForeignSlots, stopping: bool, give_way: Callable[[], bool]) -> None:
    """On the engine thread: run ``job``'s requests in the engine's slots until none are left or ``give_way()``."""
    job.started.set()
    if stopping:  # it ends unanswered, as cancelled
        job.cancel.cancel()
    error: VisionDeskError | None = None
    same_model = engine is not None and engine.info is job.info and isinstance(engine, ParallelBackend)
    try:
        if not same_model and not job.cancel.cancelled:  # another model's answers must not join this job's file
            error = VisionDeskError(QCoreApplication.translate(
                "ForeignJobs", "The model changed while the batch was running; run it again to go on with the model "
                "now loaded."))
        elif isinstance(engine, ParallelBackend) and not job.cancel.cancelled:
            for pair in engine.chat_parallel(_pulled(job, give_way), job.cancel):
                job.events.put(pair)
    except Exception as exc:
        error = _as_error(exc, "a parallel job")
    job.events.put(PartEnded(error))


def _pulled(job: ForeignSlots, give_way: Callable[[], bool]) -> Iterator[ParallelRequest]:
    """The requests, each asked of the caller's thread as the engine pulls it; ends early when others wait."""
    while not job.cancel.cancelled and not give_way():
        job.events.put(NeedRequest())
        while True:  # the caller always answers; only a cancelled caller may stop reading
            try:
                request = job.requests.get(timeout=POLL_S)
                break
            except queue.Empty:
                if job.cancel.cancelled:
                    return
        if request is None:
            return
        yield request
