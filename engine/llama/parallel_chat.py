"""``LocalEngine.chat_parallel``: many requests answered at once by the engine process's parallel slots.

The parent's half of a parallel job (``worker/parallel_protocol.py``). Requests are pulled from the
caller's iterable only when the engine process has a free slot for them (``NeedRequests``), so a batch
job can hash and skip its images as it goes; each is checked and its images prepared here first (a bad
image ends that request with an error event and never reaches the process). Events come back as
``(key, event)`` pairs, every request ending in exactly one ``Finished``. If the process dies or fails
the whole job, the requests in flight end with that error and a new job (a new process, if need be)
takes the rest.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from ..backend import ParallelRequest
from ..cancel import CancelToken
from ..errors import EngineClosed, EngineFailure, VisionDeskError
from ..events import EngineEvent, Finished, StopReason, TextDelta
from .chat_template import render_prompt
from .child_process import ChildGone, ChildHung, ChildProcess
from .worker.parallel_protocol import (
    MoreRequests,
    NeedRequests,
    ParallelDone,
    ParallelJob,
    SlotDone,
    SlotFailed,
    SlotRequest,
    SlotText,
)
from .worker.protocol import Alive, ErrorReply

if TYPE_CHECKING:
    from .engine_parts import EngineParts

log = logging.getLogger(__name__)

CANCEL_GRACE_S = 0.5  # after this, a cancelled job ends even if the process is still busy


KeyedEvent = tuple[int, EngineEvent]


class _Job:
    """One ``ParallelJob`` in the engine process; ``run`` yields its events."""

    def __init__(self, engine: EngineParts, requests: Iterator[ParallelRequest], cancel: CancelToken,
                 ready: collections.deque[tuple[int, SlotRequest]]) -> None:
        self.engine = engine
        self.requests = requests
        self.cancel = cancel
        self.exhausted = False  # the caller's requests are all pulled
        self.ready = ready  # (key, request) prepared ahead, not yet sent; a failed job leaves them to the next
        self.keys: dict[int, int] = {}  # request id -> key, for the requests in the process
        self.sent_at: dict[int, float] = {}
        self.first_text: dict[int, float] = {}
        self.rejected: list[KeyedEvent] = []  # requests that failed here, before reaching the process

    @property
    def more(self) -> bool:
        """Whether requests may still come."""
        return bool(self.ready or not self.exhausted) and not self.cancel.cancelled

    def take(self, n: int) -> tuple[SlotRequest, ...]:
        """Up to ``n`` requests for the process, those prepared ahead first."""
        self.prefetch(n)
        out = []
        now = time.monotonic()
        for _ in range(min(n, len(self.ready))):
            key, req = self.ready.popleft()
            self.keys[req.request_id] = key
            self.sent_at[req.request_id] = now
            out.append(req)
        return tuple(out)

    def prefetch(self, n: int) -> None:
        """Prepare requests until ``n`` are ready; those that fail here go to ``rejected``.

        Called right after the process got its requests, so the next ones are prepared (images decoded,
        pixels written) while it reads prompts and decodes, and its next ``NeedRequests`` is answered at once.
        """
        while len(self.ready) < n and not self.exhausted and not self.cancel.cancelled:
            req = next(self.requests, None)
            if req is None:
                self.exhausted = True
                break
            try:
                self.ready.append((req.key, self.prepare(req)))
            except VisionDeskError as exc:
                self.rejected.append((req.key, self.engine._finished(StopReason.ERROR, exc)))

    def prepare(self, req: ParallelRequest) -> SlotRequest:
        """The request as the process takes it: prompt rendered, images identified and their pixels on disk."""
        e = self.engine
        spec = e._spec
        assert spec is not None
        sources = [src for m in req.messages for src in m.images]
        refs, fresh = e._images.identify(sources, spec)
        files = tuple(e._images.pixel_file(i, src, refs[i], fresh, spec.image_max_pixels)
                      for i, src in enumerate(sources))
        prompt = render_prompt(e._template, req.messages, bos_token=e._bos, eos_token=e._eos)
        e._next_id += 1
        return SlotRequest(e._next_id, prompt, tuple(refs), files, req.sampling)

    def drain_rejected(self) -> Iterator[KeyedEvent]:
        """The error events of requests that failed here."""
        while self.rejected:
            yield self.rejected.pop(0)

    def end_all(self, reason: StopReason, error: VisionDeskError | None = None) -> Iterator[KeyedEvent]:
        """End every request still in the process with ``reason``."""
        for rid in list(self.keys):
            yield self.keys.pop(rid), self.engine._finished(reason, error)

    def run(self, child: ChildProcess) -> Iterator[KeyedEvent]:
        """Send the job, yield its events until ``ParallelDone``; raises ``ChildGone``/``ChildHung``."""
        slots = max(1, self.engine.parallel_slots)
        first = self.take(slots)
        yield from self.drain_rejected()
        if not first:
            return
        child.cancel(False)
        child.busy = True
        child.send(ParallelJob(first, more=self.more))
        self.prefetch(slots)
        heard = time.monotonic()
        silence_s = self.engine.deadlines.silence_s
        while True:
            if self.cancel.cancelled:
                child.cancel()
                if time.monotonic() - (self.cancel.cancelled_at or time.monotonic()) > CANCEL_GRACE_S:
                    child.draining = True
                    yield from self.end_all(StopReason.CANCELLED)
                    return
            msg, now = child.listen(heard, silence_s)
            if msg is None:
                continue
            heard = now
            match msg:
                case Alive():
                    pass
                case SlotText(pieces=pieces):
                    for rid, text in pieces:
                        self.first_text.setdefault(rid, now)
                        yield self.keys[rid], TextDelta(text, now)
                case NeedRequests(free=free):
                    given = self.take(free) if not self.cancel.cancelled else ()
                    child.send(MoreRequests(given, more=self.more))
                    yield from self.drain_rejected()
                    self.prefetch(slots)
                case SlotDone(request_id=rid, stop_reason=reason, usage=usage, timings=timings):
                    ttft = (self.first_text.pop(rid, now) - self.sent_at.pop(rid, now)) * 1000.0
                    yield self.keys.pop(rid), Finished(
                        reason, now, usage=usage, timings=dataclasses.replace(timings, ttft_ms=ttft),
                        backend=self.engine._backend(), gpu_layers=self.engine._gpu_layers())
                case SlotFailed() as failed:
                    yield self.keys.pop(failed.request_id), self.engine._finished(StopReason.ERROR, failed.error())
                case ParallelDone():
                    child.busy = False
                    yield from self.end_all(StopReason.ERROR, EngineFailure("the engine did not answer this request"))
                    return
                case ErrorReply():
                    child.busy = False
                    yield from self.end_all(StopReason.ERROR, msg.error())
                    return
                case _:
                    yield from self.end_all(StopReason.ERROR, self.engine._link.unexpected(msg, ParallelJob((), False)))
                    return


def chat_parallel(engine: EngineParts, requests: Iterable[ParallelRequest],
                  cancel: CancelToken | None = None) -> Iterator[KeyedEvent]:
    """Answer ``requests`` in the engine's parallel slots; yields ``(key, event)``, one ``Finished`` per request."""
    cancel = cancel or CancelToken()
    pending = iter(requests)
    ready: collections.deque[tuple[int, SlotRequest]] = collections.deque()
    while not cancel.cancelled:
        job = _Job(engine, pending, cancel, ready)
        try:
            spec = engine._spec
            if spec is None:
                raise EngineFailure("No model is loaded: choose a model first.")
            child = engine._child_with(spec)
        except VisionDeskError as exc:
            for key, _ in ready:
                yield key, engine._finished(StopReason.ERROR, exc)
            for req in pending:
                yield req.key, engine._finished(StopReason.ERROR, exc)
            return
        finished = False
        try:
            yield from job.run(child)
            finished = True
        except (ChildGone, ChildHung) as lost:
            finished = True
            error = engine._link.lost(lost, "answering several images at once")
            if isinstance(error, EngineClosed):
                yield from job.end_all(StopReason.CANCELLED)
                return
            log.warning("a parallel job lost its engine process: %s", error)
            yield from job.end_all(StopReason.ERROR, error)
        finally:
            if not finished:  # the caller stopped iterating
                engine._link.abandoned(child)
        if job.exhausted and not ready:
            return
