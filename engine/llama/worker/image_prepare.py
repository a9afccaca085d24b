"""Images encoded ahead of the question: while the user types, the child encodes what was attached.

The parent sends ``PrepareImages`` when an image is attached and ``DropPrepared`` when it is removed; neither
gets a reply. The child keeps a queue and encodes one image at a time, only while no request waits: between
images the serve loop reads the pipe first, and during an encode libmtmd's graph callback looks at what has
arrived (``Inbox.read_arrived``, at most every ``LOOK_EVERY_S``). An encode stops there, within one check,
for any request that needs the process (a chat about other images, a load, a reset, quitting) and for the
removal of the image being encoded; it is then queued again, first. It goes on for what does not need the
encoder (more images, a prompt measure) and for a chat that needs this very image: that answer would
encode it anyway. What an answer waits for is thus at most the tokenizing of one image (libmtmd's
preprocessing, no graph) and one look's interval.

Encoded images go into the runtime's ``EmbeddingStore`` under the keys ``Runtime._eval_image`` reads, so
the answer finds them there. Until an answer uses one it is "ready": removing it frees its embeddings, so
an image attached and removed leaves nothing behind; loading a model starts over. Memory stays within the
store's bound (least recently used pictures go first); the queue holds at most that many images.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Callable
from typing import Any

from llama_cpp import mtmd_cpp

from ...errors import EngineFailure
from ..image_cache import ImageRef
from .image_chunks import PendingImage, tokenize_image
from .inbox import Inbox, YieldingFlag
from .prompt_cache import ImagePart
from .protocol import ChatJob, ChildMessage, DropPrepared, InfoRequest, MeasureRequest, PrepareImages, PrepareState
from .runtime import Runtime

log = logging.getLogger(__name__)

LOOK_EVERY_S = 0.002  # how often an encode looks at the pipe (a poll is a few microseconds)


class Preparer:
    """The child's queue of images to encode ahead, and what it has encoded so far for this model."""

    def __init__(self, runtime: Runtime, flag: YieldingFlag, inbox: Inbox,
                 send: Callable[[ChildMessage], None]) -> None:
        self._runtime = runtime
        self._flag = flag
        self._inbox = inbox
        self._send = send
        self._waiting: collections.OrderedDict[str, tuple[ImageRef, str]] = collections.OrderedDict()
        self._ready: dict[str, None] = {}  # digests encoded ahead, not yet used by an answer
        self._current = ""  # the digest being encoded
        self._stop = False
        self._next_look = 0.0
        self._counts = {"encoded": 0, "interrupted": 0, "dropped": 0, "failed": 0}
        self._encode_ms = 0.0

    @property
    def waiting(self) -> bool:
        """Images are queued."""
        return bool(self._waiting)

    def add(self, images: tuple[ImageRef, ...], pixel_files: tuple[str, ...]) -> None:
        """Queue images (those already encoded or queued are left as they are); the oldest go past the bound."""
        for ref, file in zip(images, pixel_files, strict=True):
            if ref.digest not in self._waiting and ref.digest not in self._ready:
                self._waiting[ref.digest] = (ref, file)
        bound = max(0, self._runtime.embeddings.capacity)
        while len(self._waiting) > bound:
            self._waiting.popitem(last=False)
            self._counts["dropped"] += 1
        self._report()

    def drop(self, digests: tuple[str, ...]) -> None:
        """Forget these images: unqueue them and free what was encoded ahead of them."""
        for digest in digests:
            queued = self._waiting.pop(digest, None) is not None
            ready = digest in self._ready
            if ready:
                del self._ready[digest]
                self._runtime.embeddings.discard(digest)
            if queued or ready:
                self._counts["dropped"] += 1
        self._report()

    def claim(self, images: tuple[ImageRef, ...]) -> None:
        """An answer uses these images: their embeddings are the conversation's now, their queueing is moot."""
        digests = {ref.digest for ref in images}
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
        self._counts = dict.fromkeys(self._counts, 0)
        self._encode_ms = 0.0
        self._report()

    def step(self) -> None:
        """Encode the next queued image, unless a request arrives meanwhile (then it is queued again, first)."""
        digest, (ref, file) = self._waiting.popitem(last=False)
        m = self._runtime.model
        if m is None or not m.mtmd:
            self._waiting.clear()
            self._report()
            return
        try:
            pending = tokenize_image(m.mtmd, m.marker, ImagePart(0, digest), ref, file)
        except EngineFailure as exc:
            log.warning("could not prepare %s ahead: %s", ref.label, exc)
            self._counts["failed"] += 1
            self._report()
            return
        t0 = time.perf_counter()
        self._current, self._stop, self._next_look = digest, False, 0.0
        self._flag.also = self._must_stop
        try:
            outcome = self._encode(m, pending, digest)
        except EngineFailure as exc:
            log.warning("could not encode %s ahead: %s", ref.label, exc)
            outcome = "failed"
        finally:
            self._flag.also = None
            self._current = ""
            pending.free()
        if outcome == "encoded":
            self._ready[digest] = None
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
            n_tok = mtmd_cpp.mtmd_input_chunk_get_n_tokens(chunk)
            store.put(key, mtmd_cpp.mtmd_get_output_embd(m.mtmd), n_tok * m.n_embd_inp)
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
            case PrepareImages() | MeasureRequest() | InfoRequest():
                return False  # no answer waits on these; a measure waits for this one image at most
            case DropPrepared(digests=digests):
                return self._current in digests
            case ChatJob(images=images):
                return all(ref.digest != self._current for ref in images)
            case _:  # a load, a reset, quitting, an unreadable message, the parent gone
                return True

    def _report(self) -> None:
        state = PrepareState(tuple(self._ready), tuple(self._waiting), self._counts["encoded"], self._encode_ms,
                             self._counts["interrupted"], self._counts["dropped"], self._counts["failed"])
        try:
            self._send(state)
        except OSError:  # the parent is gone; this process follows it (parent_watch)
            pass
