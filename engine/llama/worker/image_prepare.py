"""Images encoded ahead of the question: while the user types, the child encodes what was attached.

The parent sends ``PrepareImages`` when an image is attached and ``DropPrepared`` when it is removed; neither
gets a reply. The child keeps a queue and encodes one image at a time, only while no request waits: between
images the serve loop reads the pipe first, and during an encode libmtmd's graph callback looks at what has
arrived (``Inbox.read_arrived``, at most every ``LOOK_EVERY_S``). An encode stops there, within one check,
for any request that needs the process (a chat or a prompt measure about other images, a load, a reset,
quitting) and for the removal of the image being encoded; it is then queued again, first. It goes on for
more images to prepare and for a chat or measure that involves this very image: that answer would encode it
anyway, and the window's preview, measured again as the question is typed, must not restart it each time.
What an answer waits for is thus at most the tokenizing of one image (libmtmd's preprocessing, no graph)
and one run of ``OBSERVE_EVERY`` graph nodes; on a GPU, reading ahead (below) stops between two batches of
``n_batch`` tokens (llama.cpp's abort callback only reaches CPU graphs). A request queued on the parent's
thread behind an ``InfoRequest`` waits for one image's encode at most.

Encoded images go into the runtime's ``EmbeddingStore`` under the keys ``Runtime._eval_image`` reads, so
the answer finds them there. When the queue is empty and the parent gave the conversation's prefix (up to
the question's text), the child reads that prefix into the context the way a chat would (``Runtime.chat``
with its messages diverted, one token sampled and thrown away): the question then evaluates only its own
text, since the prompt cache keeps the common prefix, images included. The same stopping rules apply
(llama.cpp's abort callback reads the same flag).

Until an answer uses them, the images are "ready": removing one frees its embeddings, so an image attached
and removed leaves nothing behind; loading a model starts over. Memory stays within the store's bound (least
recently used pictures go first); the queue holds at most that many images.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import time
from typing import Any

from llama_cpp import mtmd_cpp

from ...errors import EngineFailure, VisionDeskError
from ...events import StopReason
from ...requests import SamplingParams
from ..image_cache import ImageRef
from .image_chunks import PendingImage, output_embeddings, tokenize_image
from .inbox import Inbox, Outbox, YieldingFlag
from .prompt_cache import ImagePart
from .protocol import (
    ChatJob,
    Done,
    DropPrepared,
    ForgetImages,
    InfoRequest,
    MeasureRequest,
    NeedPixels,
    Pixels,
    PrepareImages,
    PrepareState,
)
from .runtime import Runtime

log = logging.getLogger(__name__)

LOOK_EVERY_S = 0.002  # how often an encode looks at the pipe (a poll is a few microseconds)
# libmtmd computes the graph in runs of nodes between two looks at the flag (Runtime.observe_every): an answer's
# wait is one run. An answer's own encode looks every 64 nodes (each look synchronizes a GPU); an encode
# ahead looks more often, so that a 24-block encoder stops within a few nodes, not a third of its work.
OBSERVE_EVERY = 4


class Preparer:
    """The child's queue of images to encode ahead, and what it has encoded so far for this model."""

    def __init__(self, runtime: Runtime, flag: YieldingFlag, inbox: Inbox, outbox: Outbox) -> None:
        self._runtime = runtime
        self._flag = flag
        self._inbox = inbox
        self._outbox = outbox
        self._waiting: collections.OrderedDict[str, tuple[ImageRef, str]] = collections.OrderedDict()
        self._ready: dict[str, None] = {}  # digests encoded ahead, not yet used by an answer
        self._prefix: PrepareImages | None = None  # the conversation to read ahead once the queue is empty
        self._sampling = SamplingParams()  # the last answer's: the prefix reuses its sampler (no swap on a GPU)
        self._prefix_done: Done | None = None
        self._current: frozenset[str] = frozenset()  # the digests the work in progress is for
        self._observe_before = runtime.observe_every
        self._stop = False
        self._next_look = 0.0
        self._counts = {"encoded": 0, "interrupted": 0, "dropped": 0, "failed": 0, "prefixes": 0}
        self._encode_ms = 0.0

    @property
    def waiting(self) -> bool:
        """Images are queued, or a prefix is to be read."""
        return bool(self._waiting) or self._prefix is not None

    def add(self, request: PrepareImages) -> None:
        """Queue images (those already encoded or queued are left as they are); the oldest go past the bound.

        A prefix replaces any earlier one that was not read yet.
        """
        if request.prefix:
            self._prefix = request
        for ref, file in zip(request.images, request.pixel_files, strict=True):
            if ref.digest not in self._waiting and ref.digest not in self._ready:
                self._waiting[ref.digest] = (ref, file)
        bound = max(0, self._runtime.embeddings.capacity)
        while len(self._waiting) > bound:
            self._waiting.popitem(last=False)
            self._counts["dropped"] += 1
        self._report()

    def drop(self, digests: tuple[str, ...]) -> None:
        """Forget these images: unqueue them and free what was encoded ahead of them."""
        if self._prefix is not None and set(digests) & {ref.digest for ref in self._prefix.images}:
            self._prefix = None  # the parent sends the prefix of the images still attached
        for digest in digests:
            queued = self._waiting.pop(digest, None) is not None
            ready = digest in self._ready
            if ready:
                del self._ready[digest]
                self._runtime.embeddings.discard(digest)
            if queued or ready:
                self._counts["dropped"] += 1
        self._report()

    def claim(self, job: ChatJob) -> None:
        """An answer is asked: its images' embeddings are the conversation's now, any prefix ahead is moot."""
        self._sampling = job.sampling
        self._prefix = None
        digests = {ref.digest for ref in job.images}
        changed = bool(digests & (self._ready.keys() | self._waiting.keys()))
        for digest in digests:
            self._ready.pop(digest, None)
            self._waiting.pop(digest, None)
        if changed:
            self._report()

    def clear(self) -> None:
        """Another model is loading: nothing queued or encoded applies to it."""
        self._waiting.clear()
        self._ready.clear()
        self._prefix = None
        self._counts = dict.fromkeys(self._counts, 0)
        self._encode_ms = 0.0
        self._report()

    def step(self) -> None:
        """Encode the next queued image, else read the prefix, unless a request arrives meanwhile that cannot wait.

        An image stopped that way is queued again, first; a prefix is forgotten (the conversation moves on).
        """
        m = self._runtime.model
        if m is None or not m.has_projector:
            self._waiting.clear()
            self._prefix = None
            self._report()
            return
        if not self._waiting:
            self._read_prefix()
            return
        digest, (ref, file) = self._waiting.popitem(last=False)
        try:
            # The first image attached opens a projector deferred at load (worker/projector.py), while the
            # question is typed; a projector that cannot open fails here as it will for the answer.
            pending = tokenize_image(m.projector()[0], m.marker, ImagePart(0, digest), ref, file)
        except VisionDeskError as exc:
            log.warning("could not prepare %s ahead: %s", ref.label, exc)
            self._counts["failed"] += 1
            self._report()
            return
        t0 = time.perf_counter()
        self._watch(frozenset({digest}))
        try:
            outcome = self._encode(m, pending, digest)
        except EngineFailure as exc:
            log.warning("could not encode %s ahead: %s", ref.label, exc)
            outcome = "failed"
        finally:
            self._watch(None)
            pending.free()
        if outcome == "encoded":
            self._mark_ready(digest)
            self._counts["encoded"] += 1
            self._encode_ms += (time.perf_counter() - t0) * 1000.0
            log.info("encoded %s ahead in %.0f ms", ref.label, (time.perf_counter() - t0) * 1000.0)
        elif outcome == "interrupted":
            self._waiting[digest] = (ref, file)
            self._waiting.move_to_end(digest, last=False)
            self._counts["interrupted"] += 1
        elif outcome == "failed":
            self._counts["failed"] += 1
        self._report()

    def _read_prefix(self) -> None:
        """Read the conversation up to the question's text into the context, as the question will."""
        request, self._prefix = self._prefix, None
        assert request is not None
        files = dict(enumerate(request.prefix_files))
        job = ChatJob(0, request.prefix, request.prefix_images, dataclasses.replace(self._sampling, max_tokens=1))
        t0 = time.perf_counter()
        self._prefix_done = None
        self._outbox.divert = lambda msg: self._on_prefix_message(msg, files)
        self._watch(frozenset(ref.digest for ref in request.images))
        try:
            self._runtime.chat(job)
        except VisionDeskError as exc:  # the context was reset (Runtime.chat); the question reads it all
            log.warning("could not read the conversation ahead: %s", exc)
            self._counts["failed"] += 1
        finally:
            self._watch(None)
            self._outbox.divert = None
        done = self._prefix_done
        if done is not None and done.stop_reason == StopReason.CANCELLED:
            self._counts["interrupted"] += 1
        elif done is not None:
            self._counts["prefixes"] += 1
            for ref in request.images:
                if ref.digest not in self._ready:
                    self._mark_ready(ref.digest)
            log.info("read %d prompt tokens ahead in %.0f ms", done.usage.prompt_tokens_evaluated,
                     (time.perf_counter() - t0) * 1000.0)
        self._report()

    def _mark_ready(self, digest: str) -> None:
        """``digest`` was encoded ahead; the store keeps at most its capacity, and so does this list."""
        self._ready[digest] = None
        while len(self._ready) > max(0, self._runtime.embeddings.capacity):
            del self._ready[next(iter(self._ready))]

    def _on_prefix_message(self, msg: object, files: dict[int, str]) -> None:
        """The runtime's messages while it reads a prefix: nobody waits for them; pixels are ours to give."""
        match msg:
            case NeedPixels(indices=indices):
                known = all(i in files for i in indices)
                self._inbox.put_first(Pixels({i: files[i] for i in indices} if known else None))
            case Done():
                self._prefix_done = msg
            case _:
                pass

    def _watch(self, digests: frozenset[str] | None) -> None:
        """Work for ``digests`` begins (libmtmd and llama.cpp then call ``_must_stop``), or ends (None)."""
        self._current, self._stop, self._next_look = digests or frozenset(), False, 0.0
        self._flag.also = self._must_stop if digests is not None else None
        if digests is not None:
            self._observe_before, self._runtime.observe_every = self._runtime.observe_every, OBSERVE_EVERY
        else:
            self._runtime.observe_every = self._observe_before

    def _encode(self, m: Any, pending: PendingImage, digest: str) -> str:
        """Encode the image's chunks missing from the store: "encoded", "cached" (none was), or "interrupted"."""
        store = self._runtime.embeddings
        encoded = False
        for k, chunk in enumerate(pending.chunks):
            if mtmd_cpp.mtmd_input_chunk_get_type(chunk) == mtmd_cpp.MTMD_INPUT_CHUNK_TYPE_TEXT:
                continue
            key = (digest, k)  # as Runtime._eval_image keys it: the same tokenizing gives the same chunks
            if key in store:
                continue
            rc = mtmd_cpp.mtmd_encode_chunk(m.mtmd, chunk)
            if self._flag.value:
                return "interrupted"
            if rc != 0:
                raise EngineFailure(f"libmtmd failed to encode it (code {rc}).")
            store.keep(key, output_embeddings(m.mtmd, chunk, m.n_embd_inp))
            encoded = True
        return "encoded" if encoded else "cached"

    def _must_stop(self) -> bool:
        """From libmtmd's graph callback: whether a request arrived that must not wait for this encode."""
        now = time.monotonic()
        if self._stop or now < self._next_look:
            return self._stop
        self._next_look = now + LOOK_EVERY_S
        self._stop = any(self._stops_encode(msg) for msg in self._inbox.read_arrived())
        return self._stop

    def _stops_encode(self, msg: object) -> bool:
        match msg:
            case PrepareImages() | InfoRequest():
                return False  # nothing waits on these but the parent's thread, for one image at most
            case DropPrepared(digests=digests) | ForgetImages(digests=digests):
                return bool(self._current & set(digests))
            case ChatJob(images=images) | MeasureRequest(images=images):
                # A request about this very image would wait for this work anyway (a measure: the window's
                # preview while the question is typed). One about others goes first, and so does anything
                # queued on the parent's thread behind it (an answer, the removal of this image).
                return not self._current & {ref.digest for ref in images}
            case _:  # a load, a reset, quitting, an unreadable message, the parent gone
                return True

    def _report(self) -> None:
        state = PrepareState(tuple(self._ready), tuple(self._waiting), self._counts["encoded"], self._encode_ms,
                             self._counts["interrupted"], self._counts["dropped"], self._counts["failed"],
                             self._counts["prefixes"])
        try:
            self._outbox.send(state)
        except OSError:  # the parent is gone; this process follows it (parent_watch)
            pass
