"""One slot of a parallel job: a request read into its own sequence, then sampled from its own row of logits.

``SeqBatch`` is a ``llama_batch`` whose rows carry their own sequence ids (the model's batches are all
sequence 0). ``Slot.read_prompt`` reads a request's prompt into its sequence alone: text in batches, each
image encoded by libmtmd — which encodes one image at a time into one output buffer — and its embeddings
decoded by libmtmd's helper in a ``llama_decode`` of their own, at the sequence's positions. The slot's
first token is sampled from the logits that leaves. After that the slot takes one row of every batched step.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import time
from collections.abc import Callable
from typing import Any

import llama_cpp
import numpy as np
from llama_cpp import mtmd_cpp

from ...errors import ContextOverflow, EngineFailure, ImagesNeedProjector
from ...events import StopReason, Timings, Usage
from ...requests import SamplingParams
from ...text_stream import TextStream
from .embedding_store import EmbeddingStore
from .encode_ahead import AheadImage, EncodeAhead
from .grammar_sampling import GrammarSampling
from .image_chunks import PendingImage, output_embeddings, tokenize_image
from .model_loader import LoadedModel
from .parallel_protocol import SlotRequest
from .prompt_cache import ImagePart, TextPart, split_prompt
from .sampling import build_sampler, is_plain_greedy
from .tokens import tokenize

_NO_POST_DECODE = mtmd_cpp.mtmd_helper_post_decode_callback(0)


class SlotCancelled(Exception):
    """The job was cancelled while a slot read its prompt."""


class SeqBatch:
    """A ``llama_batch`` of ``size`` rows, each row with its own sequence id; filled through NumPy views."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.batch = llama_cpp.llama_batch_init(size, 0, 1)
        self.tokens = np.ctypeslib.as_array(self.batch.token, shape=(size,))
        self.pos = np.ctypeslib.as_array(self.batch.pos, shape=(size,))
        self.logits = np.ctypeslib.as_array(ctypes.cast(self.batch.logits, ctypes.POINTER(ctypes.c_int8)),
                                            shape=(size,))
        np.ctypeslib.as_array(self.batch.n_seq_id, shape=(size,))[:] = 1
        self._seq = [self.batch.seq_id[j] for j in range(size)]
        self._seq_of = [0] * size
        for row in self._seq:
            row[0] = 0

    def set_seq(self, row: int, seq: int) -> None:
        """Row ``row`` belongs to sequence ``seq``."""
        if self._seq_of[row] != seq:
            self._seq[row][0] = seq
            self._seq_of[row] = seq

    def fill_text(self, tokens: list[int], pos: int, seq: int, last_logits: bool) -> None:
        """Consecutive tokens of one sequence from ``pos``; logits for the last one only if asked."""
        n = len(tokens)
        self.batch.n_tokens = n
        self.tokens[:n] = tokens
        self.pos[:n] = np.arange(pos, pos + n, dtype=np.int32)
        self.logits[:n] = 0
        self.logits[n - 1] = int(last_logits)
        for j in range(n):
            self.set_seq(j, seq)

    def free(self) -> None:
        """Release the native batch."""
        llama_cpp.llama_batch_free(self.batch)


@dataclasses.dataclass(frozen=True)
class SlotSampler:
    """A slot's sampler (a chain, or a chain under a grammar) and how it picks from a batch row."""

    sampler: Any
    pick: Callable[[int], int]

    @classmethod
    def build(cls, params: SamplingParams, ctx: Any, n_vocab: int) -> SlotSampler:
        """On the host always: plain greedy is the argmax of the row, as the single-request path does."""
        fmt = params.response_format
        chain = build_sampler(dataclasses.replace(params, response_format=None), n_vocab)
        if fmt is not None:
            grammar = GrammarSampling(chain, fmt.grammar, ctx, n_vocab)
            return cls(grammar, grammar.pick)
        if is_plain_greedy(params):
            row_type = ctypes.c_float * n_vocab

            def argmax(index: int) -> int:
                ptr = llama_cpp.llama_get_logits_ith(ctx, index)
                if not ptr:
                    raise EngineFailure("llama.cpp returned no logits to pick the next token from.")
                row = row_type.from_address(ctypes.addressof(ptr.contents))
                return int(np.frombuffer(memoryview(row), dtype=np.float32).argmax())
            return cls(chain, argmax)
        return cls(chain, lambda index: int(llama_cpp.llama_sampler_sample(chain, ctx, index)))

    def reset(self) -> None:
        """Start a new answer."""
        if isinstance(self.sampler, GrammarSampling):
            self.sampler.reset()
        else:
            llama_cpp.llama_sampler_reset(self.sampler)

    def free(self) -> None:
        """Free the native samplers."""
        if isinstance(self.sampler, GrammarSampling):
            self.sampler.free()
        else:
            llama_cpp.llama_sampler_free(self.sampler)


@dataclasses.dataclass(eq=False)
class Slot:
    """A request in sequence ``seq``: where it stands, what it has generated and not yet sent."""

    seq: int
    request: SlotRequest
    sampler: SlotSampler
    stream: TextStream
    t_start: float
    pos: int = 0  # the next position (M-RoPE: images take fewer positions than cells)
    cells: int = 0  # KV cells used: the slot is full at n_ctx
    n_out: int = 0
    next_token: int = -1  # the token to feed in the next step; -1 once the slot has ended
    pending: str = ""
    prompt_cells: int = 0
    encoded: int = 0
    reused: int = 0
    encoded_ahead: int = 0
    encode_ms: float = 0.0
    t_prompt: float = 0.0
    t_first: float | None = None

    def read_prompt(self, m: LoadedModel, batch: SeqBatch, embeddings: EmbeddingStore,
                    cancelled: Callable[[], bool], ahead: EncodeAhead | None = None, hold_last: bool = False) -> int:
        """Evaluate the request's prompt and images into the slot's sequence; raises ``VisionDeskError``.

        ``ahead``: the job's images encoded ahead (taken from there when they are; libmtmd through its lock).
        ``hold_last``: leave the prompt's last token unread and return it (a prompt read ahead: the slot
        feeds it in its first step, whose logits give the first token); otherwise returns -1.
        """
        req = self.request
        lock = ahead.lock if ahead is not None else contextlib.nullcontext()
        if req.images and not m.has_projector:
            raise ImagesNeedProjector(m.spec.model)
        mtmd = m.projector()[0] if req.images else None  # opens a projector deferred at load (worker/projector.py)
        try:
            parts = split_prompt(req.prompt, m.marker.decode(), [i.digest for i in req.images])
        except ValueError as exc:
            raise EngineFailure(f"the request does not match its images: {exc}") from None
        steps: list[list[int] | PendingImage] = []
        encoded_ahead: dict[int, AheadImage] = {}  # image index -> its embeddings made ahead
        try:
            for p in parts:
                if isinstance(p, TextPart):
                    steps.append(tokenize(m.vocab, p.text, p.first))
                    continue
                assert isinstance(p, ImagePart)
                done = ahead.take(req.request_id, p.index) if ahead is not None else None
                if done is not None:
                    encoded_ahead[p.index] = done
                    steps.append(done.pending)
                    continue
                with lock:
                    steps.append(tokenize_image(mtmd, m.marker, p, req.images[p.index], req.pixel_files[p.index]))
            while steps and isinstance(steps[-1], list) and not steps[-1]:
                steps.pop()
            if not steps or not isinstance(steps[-1], list):
                raise EngineFailure("the prompt must end in text (the chat template's answer prefix).")
            cells = sum(len(s) if isinstance(s, list) else s.n_tokens() for s in steps)
            if cells + 1 > m.n_ctx:
                raise ContextOverflow(cells, m.n_ctx)
            held = -1
            if hold_last:
                last = steps[-1]
                assert isinstance(last, list)
                held, steps[-1] = last[-1], last[:-1]
            for i, step in enumerate(steps):
                if cancelled():
                    raise SlotCancelled
                if isinstance(step, list):
                    if step:
                        self._read_text(m, batch, step, last_logits=i == len(steps) - 1 and not hold_last,
                                        cancelled=cancelled)
                else:
                    self._read_image(m, batch, embeddings, step, cancelled, lock, encoded_ahead.get(step.part.index))
        finally:
            for s in steps:
                if isinstance(s, PendingImage):
                    s.free()
        self.prompt_cells = self.cells + (held >= 0)
        self.t_prompt = time.perf_counter()
        return held

    def _read_text(self, m: LoadedModel, batch: SeqBatch, tokens: list[int], last_logits: bool,
                   cancelled: Callable[[], bool]) -> None:
        for start in range(0, len(tokens), batch.size):
            chunk = tokens[start:start + batch.size]
            batch.fill_text(chunk, self.pos, self.seq, last_logits and start + len(chunk) >= len(tokens))
            rc = llama_cpp.llama_decode(m.ctx, batch.batch)
            if rc != 0:
                if rc == 2 or cancelled():
                    raise SlotCancelled
                raise EngineFailure(f"llama_decode failed with code {rc} while reading a prompt.")
            self.pos += len(chunk)
            self.cells += len(chunk)

    def _read_image(self, m: LoadedModel, batch: SeqBatch, embeddings: EmbeddingStore, item: PendingImage,
                    cancelled: Callable[[], bool], lock: contextlib.AbstractContextManager[Any],
                    done: AheadImage | None) -> None:
        ref = self.request.images[item.part.index]
        encoded_here = False
        if done is not None:
            self.encode_ms += done.encode_ms
            self.encoded_ahead += 1
            encoded_here = True
        for k, chunk in enumerate(item.chunks):
            if mtmd_cpp.mtmd_input_chunk_get_type(chunk) == mtmd_cpp.MTMD_INPUT_CHUNK_TYPE_TEXT:
                n = ctypes.c_size_t(0)
                toks = mtmd_cpp.mtmd_input_chunk_get_tokens_text(chunk, ctypes.byref(n))
                self._read_text(m, batch, [toks[i] for i in range(n.value)], False, cancelled)
                continue
            made = done.embeddings.get(k) if done is not None else None
            embd = embeddings.keep((ref.digest, k), made) if made is not None else embeddings.get((ref.digest, k))
            if embd is None:
                t0 = time.perf_counter()
                with lock:
                    rc = mtmd_cpp.mtmd_encode_chunk(m.mtmd, chunk)
                    if rc == 0:
                        embd = embeddings.keep((ref.digest, k), output_embeddings(m.mtmd, chunk, m.n_embd_inp))
                if cancelled():
                    raise SlotCancelled
                if rc != 0:
                    raise EngineFailure(f"libmtmd failed to encode {ref.label} (code {rc}).")
                assert embd is not None
                self.encode_ms += (time.perf_counter() - t0) * 1000.0
                encoded_here = True
            new_pos = llama_cpp.llama_pos(0)
            rc = mtmd_cpp.mtmd_helper_decode_image_chunk(
                m.mtmd, m.ctx, chunk, embd.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), self.pos, self.seq,
                m.n_batch, ctypes.byref(new_pos), _NO_POST_DECODE, None)
            if rc != 0:
                if cancelled():
                    raise SlotCancelled
                raise EngineFailure(f"llama.cpp failed to read the image {ref.label} (code {rc}).")
            self.pos = new_pos.value
            self.cells += mtmd_cpp.mtmd_input_chunk_get_n_tokens(chunk)
        if encoded_here:
            self.encoded += 1
        else:
            self.reused += 1

    def usage(self) -> Usage:
        """The request's token counts."""
        return Usage(prompt_tokens=self.prompt_cells, prompt_tokens_evaluated=self.prompt_cells,
                     completion_tokens=self.n_out, images_encoded=self.encoded, images_reused=self.reused,
                     images_encoded_ahead=self.encoded_ahead)

    def timings(self) -> Timings:
        """The request's timings, measured in the engine process."""
        end = time.perf_counter()
        first = self.t_first or end
        prompt_s = (self.t_prompt or end) - self.t_start
        decode_s = end - first
        return Timings(ttft_ms=(first - self.t_start) * 1000.0, encode_ms=self.encode_ms, prompt_ms=prompt_s * 1000.0,
                       decode_ms=decode_s * 1000.0,
                       prompt_tok_s=self.prompt_cells / prompt_s if prompt_s > 0 else 0.0,
                       decode_tok_s=(self.n_out - 1) / decode_s if self.n_out > 1 and decode_s > 0 else 0.0)

    def ended(self, reason: StopReason) -> StopReason:
        """Mark the slot ended (nothing more to feed); returns ``reason``."""
        self.next_token = -1
        self.pending += self.stream.finish()
        return reason
