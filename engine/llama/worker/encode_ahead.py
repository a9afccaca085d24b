"""The images of a parallel job's waiting requests, encoded on a thread of their own while the slots decode.

A slot reads its request's prompt while every other slot waits (``parallel_generation``), so in a parallel
job all of that read is paid once per image with the batch standing still. The image's share of it —
libmtmd's preprocessing (on the CPU) and the encoder's graph (on the projector's own backend) — does not need
a free slot: this thread does it for the next requests in the queue while the slots decode, and a slot then
only decodes the embeddings into its sequence. On a GPU the two overlap; on the CPU they would take the same
cores, so by default it is on only when the projector runs on a CUDA GPU (``Tuning.encode_ahead``) and the
job does not read whole prompts ahead instead (``Tuning.read_ahead``, ``prompt_reader``, the default there).

libmtmd preprocesses and encodes into state of its context (one output buffer): every tokenize and encode
of the job goes through ``lock``, a slot's own included (an image this thread did not reach). An image that
fails here is left to its slot, which reads it again and reports the error as a request of its own.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from llama_cpp import mtmd_cpp

from ...errors import EngineFailure, VisionDeskError
from .image_chunks import PendingImage, output_embeddings, tokenize_image
from .parallel_protocol import SlotRequest
from .prompt_cache import ImagePart

log = logging.getLogger(__name__)


@dataclasses.dataclass
class AheadImage:
    """One image tokenized and encoded ahead: its chunks, each image chunk's embeddings, the time it took."""

    pending: PendingImage
    embeddings: dict[int, np.ndarray]  # chunk index -> embeddings (image chunks only)
    encode_ms: float


class EncodeAhead:
    """A one-thread queue encoding the images of requests before they get a slot."""

    def __init__(self, mtmd: Any, marker: bytes, n_embd_inp: int, cancelled: Callable[[], bool]) -> None:
        self.lock = threading.Lock()
        self._mtmd = mtmd
        self._marker = marker
        self._n_embd = n_embd_inp
        self._cancelled = cancelled
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="encode-ahead")
        self._work: dict[tuple[int, int], concurrent.futures.Future[AheadImage]] = {}  # (request id, image index)

    def submit(self, requests: Iterable[SlotRequest], known: Callable[[str], bool]) -> None:
        """Queue the images of ``requests`` not queued yet, except those ``known`` (already encoded)."""
        for req in requests:
            for i, ref in enumerate(req.images):
                key = (req.request_id, i)
                if key not in self._work and not known(ref.digest):
                    self._work[key] = self._pool.submit(self._encode, ImagePart(i, ref.digest), req, i)

    def take(self, request_id: int, index: int) -> AheadImage | None:
        """The image encoded ahead, waiting for it if need be; None if it was not queued, or failed.

        Slots take requests in queue order, which is the order of this thread's work, so the wait is for
        this image's own encode (and at most the end of one before it).
        """
        work = self._work.pop((request_id, index), None)
        if work is None:
            return None
        try:
            return work.result()
        except VisionDeskError as exc:
            log.info("image %d of request %d was not encoded ahead (%s); its slot reads it", index, request_id, exc)
            return None

    def close(self) -> None:
        """Stop: queued images are dropped, the one being encoded is waited for, and all are freed."""
        for work in self._work.values():
            work.cancel()
        self._pool.shutdown(wait=True)
        for work in self._work.values():
            if not work.cancelled() and work.exception() is None:
                work.result().pending.free()
        self._work.clear()

    def _encode(self, part: ImagePart, req: SlotRequest, index: int) -> AheadImage:
        if self._cancelled():
            raise EngineFailure("the job was cancelled")
        ref = req.images[index]
        with self.lock:
            pending = tokenize_image(self._mtmd, self._marker, part, ref, req.pixel_files[index])
        embeddings: dict[int, np.ndarray] = {}
        t0 = time.perf_counter()
        try:
            for k, chunk in enumerate(pending.chunks):
                if mtmd_cpp.mtmd_input_chunk_get_type(chunk) == mtmd_cpp.MTMD_INPUT_CHUNK_TYPE_TEXT:
                    continue
                if self._cancelled():
                    raise EngineFailure("the job was cancelled")
                with self.lock:
                    rc = mtmd_cpp.mtmd_encode_chunk(self._mtmd, chunk)
                    if rc != 0:
                        raise EngineFailure(f"libmtmd failed to encode {ref.label} (code {rc}).")
                    embeddings[k] = output_embeddings(self._mtmd, chunk, self._n_embd)
        except BaseException:
            pending.free()
            raise
        return AheadImage(pending, embeddings, (time.perf_counter() - t0) * 1000.0)
