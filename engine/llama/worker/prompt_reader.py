"""The prompts of a parallel job's waiting requests, read in a second context while the slots decode.

In a parallel job a request's prompt is read into its slot's sequence while every other slot waits
(``parallel_generation``): on a GPU that read (576 image embeddings and the text, ~38 ms for the benchmark's
1.1B model) is what keeps 8 slots from more than ~2.5x the images per minute of one. This thread reads the
next requests' prompts — tokenizing, encoding their images and decoding all but the last token — into a
second context on the same weights (``model_loader.second_context``, shaped as the first so that a
sequence's state fits both), in its sequence 0, while the slots go on decoding in the first. The slot that
takes the request copies the sequence in (``llama_state_seq_set_data``, through the host) and feeds the
held-back last token in its first batched step, whose logits give the answer's first token.

It is ``Tuning.read_ahead``: on by default when the projector runs on a CUDA GPU (measured there: 8 slots went
from 2.6x to 3.2x the images per minute of one with 128-token answers; bench/RESULTS.md), off on the CPU, where
it would take the cores the slots decode on. It replaces encoding ahead (``encode_ahead``): it encodes too.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import dataclasses
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import llama_cpp

from ...errors import EngineFailure
from ...text_stream import TextStream
from .embedding_store import EmbeddingStore
from .model_loader import LoadedModel
from .parallel_protocol import SlotRequest
from .parallel_slot import SeqBatch, Slot, SlotCancelled

log = logging.getLogger(__name__)

@dataclasses.dataclass
class ReadPrompt:
    """A request's prompt read ahead: its sequence's state and where the slot stands after it."""

    state: Any  # ctypes bytes of llama_state_seq_get_data
    size: int
    slot: Slot  # the reading's positions, counters and times (its seq and sampler are not used)
    last_token: int


class PromptReader:
    """One thread reading the prompts of queued requests into a second context, in queue order."""

    def __init__(self, m: LoadedModel, ctx: Any, embeddings: EmbeddingStore, cancelled: Callable[[], bool]) -> None:
        """Read with ``embeddings``, the engine's store (its disk cache included).

        This thread alone uses it during the job: with a reader the slots read no prompt themselves.
        """
        self._ctx = ctx
        self._view = m.on_context(ctx)
        self._cancelled = cancelled
        self._batch = SeqBatch(m.n_batch)
        self._embeddings = embeddings
        self._pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="read-ahead")
        self._work: dict[int, concurrent.futures.Future[ReadPrompt]] = {}
        self._abort_cb = llama_cpp.ggml_abort_callback(lambda _data: bool(cancelled()))
        llama_cpp.llama_set_abort_callback(ctx, self._abort_cb, None)

    def submit(self, requests: Iterable[SlotRequest]) -> None:
        """Queue the reading of ``requests`` not queued yet."""
        for req in requests:
            if req.request_id not in self._work:
                self._work[req.request_id] = self._pool.submit(self._read, req)

    def queued(self, request_id: int) -> bool:
        """Whether the request's reading was queued (and not taken yet)."""
        return request_id in self._work

    def take(self, request_id: int) -> ReadPrompt | None:
        """The request's prompt read ahead, waiting for it if need be; None if it was never queued.

        Raises the reading's ``VisionDeskError`` (the request's own failure) or ``SlotCancelled``.
        """
        work = self._work.pop(request_id, None)
        return work.result() if work is not None else None

    def close(self) -> None:
        """Stop: queued readings are dropped, the one under way is waited for; frees the second context."""
        for work in self._work.values():
            work.cancel()
        self._pool.shutdown(wait=True)
        self._work.clear()
        self._batch.free()
        llama_cpp.llama_free(self._ctx)

    def _read(self, req: SlotRequest) -> ReadPrompt:
        if self._cancelled():
            raise SlotCancelled
        v = self._view
        # A slot for the reading only: its positions and counters; it never samples (no sampler).
        slot = Slot(0, req, None, TextStream(()), time.perf_counter())  # type: ignore[arg-type]
        llama_cpp.llama_memory_seq_rm(v.memory, 0, -1, -1)
        try:
            last = slot.read_prompt(v, self._batch, self._embeddings, self._cancelled, hold_last=True)
            size = llama_cpp.llama_state_seq_get_size(self._ctx, 0)
            state = (ctypes.c_uint8 * size)()
            if llama_cpp.llama_state_seq_get_data(self._ctx, state, size, 0) != size:
                raise EngineFailure("llama.cpp could not copy a prompt read ahead.")
        finally:
            llama_cpp.llama_memory_seq_rm(v.memory, 0, -1, -1)
        return ReadPrompt(state, size, slot, last)


def read_into(m: LoadedModel, read: ReadPrompt, seq: int) -> None:
    """Copy a prompt read ahead into sequence ``seq`` of ``m``'s context (emptied first); raises on failure."""
    llama_cpp.llama_memory_seq_rm(m.memory, seq, -1, -1)
    if llama_cpp.llama_state_seq_set_data(m.ctx, read.state, read.size, seq) == 0:
        raise EngineFailure("llama.cpp could not take a prompt read ahead into its slot.")

