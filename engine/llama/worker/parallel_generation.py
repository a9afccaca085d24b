"""A parallel job: several requests answered at once as parallel sequences of one llama.cpp context.

The context has one sequence per slot (``ModelSpec.parallel``), with a KV cache split per sequence: each
slot has ``n_ctx`` cells of its own and attends only to them (``model_loader``). Scheduling, as llama.cpp's
server does it for images:

* A request joins a free slot and its prompt is read into that slot's sequence alone (``parallel_slot``):
  libmtmd encodes one image at a time into one output buffer and decodes an image's embeddings in a
  ``llama_decode`` of their own, so prompts are read one after another while the other slots wait.
  Its first token is sampled right away, from the logits that read leaves.
* Then every step is ONE ``llama_decode`` of a batch holding the next token of every live slot; each slot
  samples from its own row with its own sampler (under its own grammar for structured answers).
* A slot ends on its own (end of generation, stop string, max_tokens, its cells full): its text goes out,
  then ``SlotDone``, its sequence is dropped from the cache, and the next request takes the slot at once
  (continuous batching); when nothing is queued the parent is asked for more (``NeedRequests``).

Cancel (the shared flag) ends every slot and every queued request with a cancelled ``SlotDone``.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import logging
import time
from collections.abc import Callable
from typing import Any

import llama_cpp

from ...errors import EngineFailure, EngineProtocolError, VisionDeskError
from ...events import StopReason, Timings, Usage
from ...text_stream import TextStream
from .embedding_store import EmbeddingStore
from .encode_ahead import EncodeAhead
from .model_loader import LoadedModel, second_context
from .parallel_protocol import (
    MoreRequests,
    NeedRequests,
    ParallelDone,
    ParallelJob,
    SlotDone,
    SlotFailed,
    SlotRequest,
    SlotText,
)
from .parallel_slot import SeqBatch, Slot, SlotCancelled, SlotSampler
from .prompt_reader import PromptReader, ReadPrompt, read_into
from .protocol import Alive, ChildMessage, ParentMessage
from .tokens import token_piece

log = logging.getLogger(__name__)

TEXT_FLUSH_S = 0.05  # text of all slots goes to the parent together, at most this often
ALIVE_EVERY_S = 0.25


class ParallelRun:
    """Serves one ``ParallelJob`` on a loaded model whose context has ``n_seq_max`` slots."""

    def __init__(self, model: LoadedModel, embeddings: EmbeddingStore, flag: Any, send: Callable[[ChildMessage], None],
                 recv: Callable[[], ParentMessage]) -> None:
        self._m = model
        self._embeddings = embeddings
        self._flag = flag
        self._send_raw = send
        self._recv = recv
        self._n_slots = int(llama_cpp.llama_n_seq_max(model.ctx))
        self._batch = SeqBatch(max(model.n_batch, self._n_slots))
        self._samplers: dict[int, tuple[Any, SlotSampler]] = {}  # per sequence: (settings, sampler) for reuse
        self._token_infos: dict[int, tuple[bool, bytes]] = {}
        self._last_sent = 0.0
        self._more = False  # whether the parent may have more requests
        self._last_flush = 0.0
        self._abort_cb = llama_cpp.ggml_abort_callback(lambda _data: bool(self._flag.value))
        self._ahead: EncodeAhead | None = None
        self._reader: PromptReader | None = None

    def _on_cuda(self) -> bool:
        """Whether the projector runs on a CUDA GPU: where working ahead was measured to pay (bench/RESULTS.md)."""
        r = self._m.result
        return r is not None and r.backend == "CUDA" and bool(r.projector_device)

    def _reads_ahead(self) -> bool:
        """Whether the waiting requests' prompts are read in a second context (``Tuning.read_ahead``)."""
        wanted = self._m.spec.tuning.read_ahead
        return (self._on_cuda() if wanted is None else wanted) and self._n_slots > 1

    def _encodes_ahead(self) -> bool:
        """Whether the images of waiting requests are encoded while the slots decode (``Tuning.encode_ahead``)."""
        wanted = self._m.spec.tuning.encode_ahead
        return (self._on_cuda() if wanted is None else wanted) and self._m.has_projector and self._n_slots > 1

    def _send(self, msg: ChildMessage) -> None:
        self._send_raw(msg)
        self._last_sent = time.monotonic()

    def _cancelled(self) -> bool:
        return bool(self._flag.value)

    def run(self, job: ParallelJob) -> None:
        """Answer every request of the job (and those the parent adds), then send ``ParallelDone``."""
        m = self._m
        queue: collections.deque[SlotRequest] = collections.deque(job.requests)
        self._more = job.more
        slots: list[Slot | None] = [None] * self._n_slots
        llama_cpp.llama_memory_clear(m.memory, True)
        llama_cpp.llama_set_abort_callback(m.ctx, self._abort_cb, None)
        try:
            if self._reads_ahead():
                self._reader = self._open_reader()
            if self._reader is None and self._encodes_ahead():  # also when the second context did not fit
                self._ahead = EncodeAhead(m.projector()[0], m.marker, m.n_embd_inp, self._cancelled)
        except VisionDeskError as exc:  # the projector did not open: every image request reports it in its slot
            log.info("no encoding or reading ahead: %s", exc)
        try:
            while not self._cancelled():
                started = False
                for seq in range(self._n_slots):
                    if slots[seq] is not None or self._cancelled():
                        continue
                    if not queue and self._more:
                        queue.extend(self._ask_more(sum(s is None for s in slots)))
                    if not queue:
                        break
                    slots[seq] = self._start(seq, queue.popleft())
                    started = True
                if (self._ahead is not None or self._reader is not None) and started:
                    self._prepare_next(queue)
                live = [s for s in slots if s is not None]
                if not live:
                    if not queue and not self._more:
                        break
                    continue
                for slot in self._step(live):
                    slots[slot.seq] = None
            if self._cancelled():
                for running in slots:
                    if running is not None:
                        self._finish(running, running.ended(StopReason.CANCELLED))
                for req in queue:
                    self._send(SlotDone(req.request_id, StopReason.CANCELLED, Usage(), Timings()))
        finally:
            if self._ahead is not None:
                self._ahead.close()
                self._ahead = None
            if self._reader is not None:
                self._reader.close()
                self._reader = None
            llama_cpp.llama_set_abort_callback(m.ctx, llama_cpp.ggml_abort_callback(0), None)
            llama_cpp.llama_memory_clear(m.memory, True)
            for _, sampler in self._samplers.values():
                sampler.free()
            self._samplers.clear()
            self._batch.free()
        self._send(ParallelDone())

    def _open_reader(self) -> PromptReader | None:
        """The second context and its reading thread; None (and a log line) if the context does not fit."""
        if self._m.has_projector:
            self._m.projector()  # opened here, once: the reader's view of the model shares it
        ctx = second_context(self._m)
        if ctx is None:
            log.warning("no second context for reading prompts ahead (memory?); prompts are read in their slots")
            return None
        return PromptReader(self._m, ctx, self._embeddings, self._cancelled)

    def _prepare_next(self, queue: collections.deque[SlotRequest]) -> None:
        """Have the next requests' images encoded (or prompts read) while the slots decode.

        Called once slots were given requests: the queue then holds what the next free slots take. When it
        is empty and more may come, the parent is asked now (it has them prepared) for a slot-count of them,
        so that they are ready when slots free up.
        """
        if not queue and self._more:
            queue.extend(self._ask_more(self._n_slots))
        nxt = itertools.islice(queue, self._n_slots)
        if self._reader is not None:
            self._reader.submit(nxt)
        elif self._ahead is not None:
            self._ahead.submit(nxt, self._embeddings.has_picture)

    def _ask_more(self, free: int) -> tuple[SlotRequest, ...]:
        self._send(NeedRequests(free))
        match self._recv():
            case MoreRequests(requests=requests, more=more):
                self._more = more and bool(requests)
                return requests
            case other:
                raise EngineProtocolError(f"{type(other).__name__} instead of the requests asked for")

    def _sampler(self, seq: int, req: SlotRequest) -> SlotSampler:
        key = dataclasses.replace(req.sampling, stop=(), max_tokens=1)
        kept = self._samplers.get(seq)
        if kept is not None and kept[0] == key:
            kept[1].reset()
            return kept[1]
        if kept is not None:
            kept[1].free()
        sampler = SlotSampler.build(req.sampling, self._m.ctx, self._m.n_vocab)
        self._samplers[seq] = (key, sampler)
        return sampler

    def _start(self, seq: int, req: SlotRequest) -> Slot | None:
        """Read ``req`` into sequence ``seq`` and pick its first token; None when it already ended."""
        slot = Slot(seq, req, self._sampler(seq, req), TextStream(req.sampling.stop), time.perf_counter())
        try:
            if self._reader is not None:  # every prompt goes through the reader: libmtmd on one thread only
                ahead = self._reader.queued(req.request_id)
                self._reader.submit((req,))
                read = self._reader.take(req.request_id)
                assert read is not None
                return self._started_from(slot, read, ahead)  # its first step feeds the prompt's last token
            slot.read_prompt(self._m, self._batch, self._embeddings, self._cancelled, self._ahead)
        except SlotCancelled:
            self._finish(slot, slot.ended(StopReason.CANCELLED))
            return None
        except VisionDeskError as exc:
            log.info("request %d failed: %s", req.request_id, exc)
            llama_cpp.llama_memory_seq_rm(self._m.memory, seq, -1, -1)
            self._send(SlotFailed.of(req.request_id, exc))
            return None
        reason = self._take(slot, slot.sampler.pick(-1))
        if reason is not None:
            self._finish(slot, reason)
            return None
        return slot

    def _started_from(self, slot: Slot, read: ReadPrompt, ahead: bool) -> Slot:
        """``slot`` with its prompt, read in the second context, copied in; its last token is fed next.

        ``ahead``: it was read while the slots decoded (not while this slot waited for it).
        """
        read_into(self._m, read, slot.seq)
        r = read.slot
        slot.pos, slot.cells, slot.prompt_cells = r.pos, r.cells, r.prompt_cells
        slot.encoded, slot.reused, slot.encode_ms = r.encoded, r.reused, r.encode_ms
        slot.encoded_ahead = r.encoded if ahead else 0
        slot.next_token = read.last_token
        slot.t_prompt = time.perf_counter()
        return slot

    def _step(self, live: list[Slot]) -> list[Slot]:
        """One ``llama_decode`` of every live slot's next token; returns the slots that ended."""
        b = self._batch
        n = len(live)
        b.batch.n_tokens = n
        for row, slot in enumerate(live):
            b.tokens[row] = slot.next_token
            b.pos[row] = slot.pos
            b.logits[row] = 1
            b.set_seq(row, slot.seq)
        rc = llama_cpp.llama_decode(self._m.ctx, b.batch)
        if rc != 0:
            if rc == 2 or self._cancelled():
                return []  # the loop sees the flag and ends every slot as cancelled
            raise EngineFailure(f"llama_decode failed with code {rc} while generating {n} answers.")
        ended = []
        for row, slot in enumerate(live):
            slot.pos += 1
            slot.cells += 1
            reason = self._take(slot, slot.sampler.pick(row))
            if reason is not None:
                ended.append(slot)
                self._finish(slot, reason)
        now = time.monotonic()
        if now - self._last_flush >= TEXT_FLUSH_S:
            self._flush(live)
        elif now - self._last_sent >= ALIVE_EVERY_S:
            self._send(Alive())
        return ended

    def _take(self, slot: Slot, tok: int) -> StopReason | None:
        """Account for the token ``tok`` picked for ``slot``; the reason it ended, or None to feed it next."""
        info = self._token_infos.get(tok)
        if info is None:
            info = self._token_infos[tok] = self._token_info(tok)
        if info[0]:
            return slot.ended(StopReason.END)
        slot.n_out += 1
        slot.pending += slot.stream.feed(info[1])
        if slot.t_first is None:
            slot.t_first = time.perf_counter()
        if slot.stream.stopped_by is not None:
            return slot.ended(StopReason.STOP_STRING)
        if slot.n_out >= slot.request.sampling.max_tokens or slot.cells >= self._m.n_ctx:
            return slot.ended(StopReason.LENGTH)
        slot.next_token = tok
        return None

    def _flush(self, slots: list[Slot]) -> None:
        pieces = tuple((s.request.request_id, s.pending) for s in slots if s.pending)
        for s in slots:
            s.pending = ""
        if pieces:
            self._send(SlotText(pieces))
        self._last_flush = time.monotonic()

    def _finish(self, slot: Slot, reason: StopReason) -> None:
        """Send the slot's last text and its ``SlotDone``; free its sequence."""
        self._flush([slot])
        llama_cpp.llama_memory_seq_rm(self._m.memory, slot.seq, -1, -1)
        self._send(SlotDone(slot.request.request_id, reason, slot.usage(), slot.timings()))

    def _token_info(self, token: int) -> tuple[bool, bytes]:
        """(ends generation, bytes shown); control tokens show nothing."""
        vocab = self._m.vocab
        if llama_cpp.llama_vocab_is_eog(vocab, token):
            return True, b""
        return False, b"" if llama_cpp.llama_vocab_is_control(vocab, token) else token_piece(vocab, token)
