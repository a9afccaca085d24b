"""The model as the child process holds it: llama.cpp context, libmtmd projector, caches.

One request at a time. ``chat`` evaluates only what the prefix cache does not already hold, then
generates with the native sampler chain (plain greedy on the host: the argmax of llama.cpp's logits,
see ``sampling.py``), one ``llama_decode`` per token, sending typed messages through ``send``.
Cancel arrives through a shared flag that llama.cpp's abort callback, libmtmd's graph callback and
the loops here all read; the same callbacks tell the parent that long native work goes on (``Alive``).
"""

from __future__ import annotations

import ctypes
import functools
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import llama_cpp
from llama_cpp import mtmd_cpp

from ...errors import ContextOverflow, EngineFailure, EngineProtocolError, ImagesNeedProjector
from ...events import Stage, StopReason, Timings, Usage
from ...requests import ModelSpec
from ...text_stream import TextStream
from ..disk_cache import DiskCache
from .embedding_store import EmbeddingStore
from .generation import generate
from .image_chunks import PendingImage, output_embeddings, tokenize_image
from .model_loader import LoadedModel, load_model
from .native_log import NativeLog
from .prompt_cache import (
    ImagePart,
    ImageSegment,
    Item,
    Segment,
    TextPart,
    TextSegment,
    append_text,
    cells_beyond_positions,
    holds_any,
    plan_reuse,
    segment_positions,
    split_prompt,
    widen_small_batch,
)
from .protocol import Alive, ChatJob, ChildMessage, Done, Loaded, NeedPixels, ParentMessage, Pixels, StageReport
from .sampling import SamplerSlot, sample_on_device, token_picker
from .tokens import token_info, tokenize

log = logging.getLogger(__name__)

Send = Callable[[ChildMessage], None]
ALIVE_EVERY_S = 0.25  # at most this often during long native work
_NO_ABORT = llama_cpp.ggml_abort_callback(0)
_NO_POST_DECODE = mtmd_cpp.mtmd_helper_post_decode_callback(0)


class Cancelled(Exception):
    """The request was cancelled between or inside steps."""


class Runtime:
    """Holds one loaded model and serves chat requests."""

    def __init__(self, cancel_flag: Any, send: Send, recv: Callable[[], ParentMessage]) -> None:
        self._flag = cancel_flag
        self._send = send
        self._recv = recv
        self._pixels: dict[int, str] = {}  # image index -> file of its prepared pixels
        self.native_log = NativeLog()
        self.model: LoadedModel | None = None
        self.cache: list[Segment] = []
        self.embeddings = EmbeddingStore(16)
        self._token_infos: dict[int, tuple[bool, bytes]] = {}  # per generated token, looked up per step
        self._samplers = SamplerSlot()
        self._abort_cb = llama_cpp.ggml_abort_callback(self._on_abort_check)
        self._eval_nodes, self.observe_every = 0, 64  # encoder graph nodes; a look at the flag per so many
        self._eval_cb = llama_cpp.ggml_backend_sched_eval_callback(self._on_graph_node)
        self._last_alive = 0.0

    # ---- loading -------------------------------------------------------------------------------

    def load(self, spec: ModelSpec, disk: DiskCache | None = None) -> Loaded:
        """Load ``spec`` (replacing any loaded model; ``disk`` remembers its thread choice); the parent's reply."""
        self.unload()
        self.embeddings = EmbeddingStore(spec.embedding_cache_images)
        self.model = load_model(spec, self.native_log, self._eval_cb, disk)
        assert self.model.result is not None
        return Loaded(self.model.result, self.model.bos_token, self.model.eos_token)

    def unload(self) -> None:
        """Free everything llama.cpp holds."""
        self._samplers.drop()
        if self.model is not None:
            self.model.free()
        self.model = None
        self.cache = []
        self._token_infos.clear()

    # ---- cancel and progress plumbing ----------------------------------------------------------

    def _on_graph_node(self, _tensor: Any, ask: bool, _data: Any) -> bool:
        """Libmtmd's scheduler callback: every ``observe_every`` nodes ask to stop, then stop if cancelled."""
        if ask:
            self._eval_nodes += 1
            return self._eval_nodes % self.observe_every == 0 or bool(self._flag.value)
        self._pulse()
        return not self._flag.value

    def _on_abort_check(self, _data: Any) -> bool:
        """llama.cpp's abort callback, between graph nodes while a prompt is read: stop if cancelled."""
        self._pulse()
        return bool(self._flag.value)

    def _pulse(self) -> None:
        """Called back from long native work (an image encode, a prompt batch): tell the parent it goes on."""
        now = time.monotonic()
        if now - self._last_alive >= ALIVE_EVERY_S:
            self._last_alive = now
            try:
                self._send(Alive())
            except OSError:  # the parent is gone; this process follows it (parent_watch)
                pass

    def _check_cancel(self) -> None:
        if self._flag.value:
            raise Cancelled

    # ---- evaluation ----------------------------------------------------------------------------

    def _decode_tokens(self, tokens: list[int], pos: int, want_logits: bool) -> int:
        """Evaluate ``tokens`` from position ``pos`` in batches; returns the new position."""
        m = self.model
        assert m is not None
        n_batch = m.n_batch
        for start in range(0, len(tokens), n_batch):
            self._check_cancel()
            chunk = tokens[start:start + n_batch]
            n = len(chunk)
            m.fill_batch(chunk, n, pos, want_logits and start + n >= len(tokens))
            rc = llama_cpp.llama_decode(m.ctx, m.batch)
            if rc != 0:
                if rc == 2 or self._flag.value:
                    self._forget_from(pos)
                    raise Cancelled
                raise EngineFailure(f"llama_decode failed with code {rc} while reading the prompt "
                                    "(the context may be too small or memory ran out).")
            pos += len(chunk)
        return pos

    def _forget_from(self, pos: int) -> None:
        """Drop KV entries from ``pos`` on and trim the cache segments to match."""
        m = self.model
        assert m is not None
        if not llama_cpp.llama_memory_seq_rm(m.memory, 0, pos, -1):
            llama_cpp.llama_memory_clear(m.memory, True)
            self.cache = []
            return
        kept: list[Segment] = []
        at = 0
        for seg in self.cache:
            size = segment_positions(seg)
            if at + size <= pos:
                kept.append(seg)
                at += size
                continue
            if isinstance(seg, TextSegment) and pos > at:
                kept.append(TextSegment(seg.tokens[:pos - at]))
            break
        self.cache = kept

    def _eval_image(self, job: ChatJob, item: PendingImage, pos: int, counter: dict[str, int]) -> int:
        """Evaluate one image at ``pos``: embeddings from the store, or encoded now."""
        m = self.model
        assert m is not None
        img = job.images[item.part.index]
        start = pos
        encoded_here = False
        for k, chunk in enumerate(item.chunks):
            if mtmd_cpp.mtmd_input_chunk_get_type(chunk) == mtmd_cpp.MTMD_INPUT_CHUNK_TYPE_TEXT:
                n = ctypes.c_size_t(0)
                toks = mtmd_cpp.mtmd_input_chunk_get_tokens_text(chunk, ctypes.byref(n))
                pos = self._decode_tokens([toks[i] for i in range(n.value)], pos, False)
                continue
            key = (img.digest, k)
            embd = self.embeddings.get(key)
            if embd is None:
                if not encoded_here:
                    counter["to_encode_index"] += 1
                    self._send(StageReport(Stage.ENCODING_IMAGE, counter["to_encode_index"],
                                           counter["to_encode_total"]))
                t0 = time.perf_counter()
                self._eval_nodes = 0
                rc = mtmd_cpp.mtmd_encode_chunk(m.mtmd, chunk)
                self._check_cancel()
                if rc != 0:
                    raise EngineFailure(f"libmtmd failed to encode {img.label} (code {rc}).")
                embd = self.embeddings.keep(key, output_embeddings(m.mtmd, chunk, m.n_embd_inp))
                counter["encode_ms"] += int((time.perf_counter() - t0) * 1000)
                encoded_here = True
            self._check_cancel()
            new_pos = llama_cpp.llama_pos(0)
            rc = mtmd_cpp.mtmd_helper_decode_image_chunk(
                m.mtmd, m.ctx, chunk, embd.ctypes.data_as(ctypes.POINTER(ctypes.c_float)), pos, 0,
                m.n_batch, ctypes.byref(new_pos), _NO_POST_DECODE, None)
            if rc != 0:
                if self._flag.value:
                    self._forget_from(start)
                    raise Cancelled
                raise EngineFailure(f"llama.cpp failed to read the image {img.label} (code {rc}).")
            pos = new_pos.value
        counter["encoded" if encoded_here else "reused"] += 1
        self.cache.append(ImageSegment(img.digest, pos - start, item.n_tokens()))
        return pos

    # ---- the request ---------------------------------------------------------------------------

    def chat(self, job: ChatJob) -> None:
        """Serve one request, sending stage/text/done messages; on failure the cache starts over."""
        m = self.model
        if m is None:
            raise EngineFailure("No model is loaded.")
        tuning = m.spec.tuning
        on_device = sample_on_device(m.gpu_layers, m.n_layers, tuning.device_sampling)
        sampler = self._samplers.get(job.sampling, m.ctx, m.n_vocab, on_device)
        try:
            self._chat(job, token_picker(job.sampling, sampler, m.ctx, m.n_vocab, on_device, tuning.host_greedy))
        except BaseException:
            self.reset()
            raise
        finally:
            self._pixels = {}

    def _chat(self, job: ChatJob, pick: Callable[[], int]) -> None:
        m = self.model
        if m is None:
            raise EngineFailure("No model is loaded.")
        if job.images and not m.has_projector:
            raise ImagesNeedProjector(m.spec.model)
        t_start = time.perf_counter()
        parts = split_prompt(job.prompt, m.marker.decode(), [i.digest for i in job.images])
        items: list[Item] = [TextSegment(tokenize(m.vocab, p.text, p.first)) if isinstance(p, TextPart) else p
                             for p in parts]
        plan = plan_reuse(self.cache, items)
        # On the CPU a short batch deep in the cache is widened (see prompt_cache.widen_small_batch;
        # Tuning(widen_batches=False) turns it off, for the benchmark's A/B).
        cpu = m.gpu_layers == 0
        wide = widen_small_batch(plan) if cpu and m.spec.tuning.widen_batches else plan
        if wide is not plan and self._trim_to(wide.keep_pos):
            plan = wide
        elif not self._trim_to(plan.keep_pos):
            log.info("the KV cache cannot be cut at %d (recurrent or sliding-window memory): reading the "
                     "prompt again", plan.keep_pos)
            llama_cpp.llama_memory_clear(m.memory, True)
            plan = plan_reuse([], items)
        self.cache = plan.kept
        pos = plan.keep_pos
        todo = plan.todo
        new_text_tokens = sum(len(t.tokens) for t in todo if isinstance(t, TextSegment))
        if new_text_tokens == 0 and not any(isinstance(t, ImagePart) for t in todo):
            # Everything is cached (regenerate): evaluate the last token again for fresh logits.
            last = self.cache[-1]
            assert isinstance(last, TextSegment) and last.tokens
            tok = last.tokens.pop()
            pos -= 1
            if self._trim_to(pos):
                todo = [TextSegment([tok])]
                new_text_tokens = 1
            else:  # a recurrent state (LFM2, Mamba...) cannot step back one token: read everything again
                llama_cpp.llama_memory_clear(m.memory, True)
                self.cache, pos, todo = [], 0, plan_reuse([], items).todo
                new_text_tokens = sum(len(t.tokens) for t in todo if isinstance(t, TextSegment))
        projector_ms = 0
        if m.deferred and any(isinstance(t, ImagePart) for t in todo):  # the first image opens the projector
            self._send(StageReport(Stage.LOADING))
            projector_ms = round(m.projector()[1])
        self._pixels = self._fetch_pixels([t.index for t in todo if isinstance(t, ImagePart)])
        pending: list[PendingImage] = []
        try:
            steps: list[TextSegment | PendingImage] = []
            for t in todo:
                if isinstance(t, ImagePart):
                    assert m.mtmd
                    pending.append(tokenize_image(m.mtmd, m.marker, t, job.images[t.index], self._pixels[t.index]))
                    steps.append(pending[-1])
                else:
                    steps.append(t)
            # The context is a number of KV cells: one per token, even where an image takes fewer positions
            # than tokens (M-RoPE).
            prompt_cells = (pos + cells_beyond_positions(self.cache) + new_text_tokens
                            + sum(p.n_tokens() for p in pending))
            if prompt_cells + 1 > m.n_ctx:
                raise ContextOverflow(prompt_cells, m.n_ctx)
            counter = {"to_encode_index": 0, "encode_ms": 0, "encoded": 0, "projector_ms": projector_ms,
                       "reused": sum(1 for s in self.cache if isinstance(s, ImageSegment)),
                       "to_encode_total": sum(1 for p in pending
                                              if (job.images[p.part.index].digest, 0) not in self.embeddings)}
            cells_from = pos + cells_beyond_positions(self.cache)  # Usage counts tokens (KV cells), not positions
            llama_cpp.llama_set_abort_callback(m.ctx, self._abort_cb, None)
            try:
                self._send(StageReport(Stage.READING_PROMPT))
                for i, step in enumerate(steps):
                    if isinstance(step, PendingImage):
                        pos = self._eval_image(job, step, pos, counter)
                        continue
                    pos = self._decode_tokens(step.tokens, pos, want_logits=i == len(steps) - 1)
                    append_text(self.cache, step)
            except Cancelled:
                cells = pos + cells_beyond_positions(self.cache)
                self._send(Done(StopReason.CANCELLED, self._usage(cells, cells - cells_from, 0, counter),
                                Timings(encode_ms=counter["encode_ms"], projector_load_ms=projector_ms)))
                return
            finally:
                llama_cpp.llama_set_abort_callback(m.ctx, _NO_ABORT, None)
        finally:
            for p in pending:
                p.free()
        # A GPU reads the prompt asynchronously: wait for it, so the prompt timing is what it cost (the
        # first sample would wait here anyway).
        llama_cpp.llama_synchronize(m.ctx)
        t_prompt_done = time.perf_counter()
        prompt_evaluated = pos + cells_beyond_positions(self.cache) - cells_from
        self._generate(job, pick, pos, prompt_evaluated, counter, t_start, t_prompt_done)

    def _fetch_pixels(self, indices: list[int]) -> dict[int, str]:
        """Ask the parent for the files of the prepared pixels of the images that must be evaluated."""
        if not indices:
            return {}
        self._send(NeedPixels(tuple(indices)))
        match self._recv():
            case Pixels(images=dict() as pixels):
                return pixels
            case Pixels(images=None):  # the parent could not read an image and says so itself
                raise EngineFailure("an image of this request could not be read")
            case other:
                raise EngineProtocolError(f"{type(other).__name__} instead of the pixels asked for")

    def _trim_to(self, keep_pos: int) -> bool:
        """Drop KV entries from ``keep_pos`` on; False if what is left cannot be continued from."""
        m = self.model
        assert m is not None
        n_swa = llama_cpp.llama_model_n_swa(m.model)
        if keep_pos > 0 and n_swa > 0:
            # As llama-server does, before cutting (after it an emptied window reads as "no cells" = -1):
            # a sliding-window cache may already have dropped cells that the kept prefix needs.
            pos_min = llama_cpp.llama_memory_seq_pos_min(m.memory, 0)
            if pos_min > max(0, keep_pos - n_swa):
                return False
        return bool(llama_cpp.llama_memory_seq_rm(m.memory, 0, keep_pos, -1))

    def _usage(self, prompt_tokens: int, evaluated: int, completion: int, counter: dict[str, int]) -> Usage:
        return Usage(prompt_tokens=prompt_tokens, prompt_tokens_evaluated=evaluated, completion_tokens=completion,
                     images_encoded=counter["encoded"], images_reused=counter["reused"])

    def _generate(self, job: ChatJob, pick: Callable[[], int], pos: int, prompt_evaluated: int, counter: dict[str, int],
                  t_start: float, t_prompt_done: float) -> None:
        m = self.model
        assert m is not None
        params = job.sampling
        stream = TextStream(params.stop)
        prompt_tokens = pos + cells_beyond_positions(self.cache)
        if not self.cache or not isinstance(self.cache[-1], TextSegment):
            self.cache.append(TextSegment())
        tail = self.cache[-1]
        assert isinstance(tail, TextSegment)
        self._send(StageReport(Stage.GENERATING))
        run = generate(m, pick, params.max_tokens, pos, stream, tail.tokens, self._flag, self._send,
                       self._token_infos, functools.partial(token_info, m.vocab),
                       end_pos=m.n_ctx - cells_beyond_positions(self.cache))
        reason, n_out, t_first = run.reason, run.n_out, run.t_first
        t_end = time.perf_counter()
        first = t_first or t_end
        decode_s = t_end - first
        prompt_s = t_prompt_done - t_start
        timings = Timings(
            ttft_ms=(first - t_start) * 1000.0,  # the child's; the parent measures its own
            encode_ms=counter["encode_ms"],
            prompt_ms=prompt_s * 1000.0,
            decode_ms=decode_s * 1000.0,
            prompt_tok_s=prompt_evaluated / prompt_s if prompt_s > 0 else 0.0,
            decode_tok_s=(n_out - 1) / decode_s if n_out > 1 and decode_s > 0 else 0.0,
            projector_load_ms=counter["projector_ms"],
        )
        self._send(Done(reason, self._usage(prompt_tokens, prompt_evaluated, n_out, counter), timings))

    def forget_images(self, digests: Sequence[str]) -> bool:
        """Forget these pictures' embeddings (memory and disk) and a cached conversation holding any; whether it did."""
        for digest in digests:
            self.embeddings.discard(digest)
        if not holds_any(self.cache, digests):
            return False
        self.reset()
        return True

    def reset(self) -> None:
        """Forget the cached conversation (the embedding store stays)."""
        if self.model is not None:
            llama_cpp.llama_memory_clear(self.model.memory, True)
        self.cache = []
