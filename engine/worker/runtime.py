"""The model as the child process holds it: llama.cpp context, libmtmd projector, caches.

One request at a time. ``chat`` evaluates only what the prefix cache does not already hold, then
generates with the native sampler chain, one ``llama_decode`` per token, sending events through
``send``. Cancel arrives through a shared flag that llama.cpp's abort callback, libmtmd's graph
callback and the loops here all read.
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import os
import time
from collections.abc import Callable
from typing import Any

import llama_cpp
import numpy as np
from llama_cpp import mtmd_cpp

from ..errors import ContextOverflow, EngineFailure, ImagesNeedProjector
from ..events import Stage, StopReason
from ..requests import ModelSpec, SamplingParams
from ..text_stream import TextStream
from .embedding_store import EmbeddingStore
from .model_loader import LoadedModel, load_model
from .native_log import NativeLog
from .prompt_cache import (
    ImagePart,
    ImageSegment,
    Item,
    Segment,
    TextPart,
    TextSegment,
    plan_reuse,
    segment_positions,
    split_prompt,
)
from .protocol import ChatJob
from .sampling import build_sampler

log = logging.getLogger(__name__)

Send = Callable[[tuple[Any, ...]], None]
TEXT_FLUSH_S = 0.008  # coalesce text messages to the parent; the first token goes at once


_NO_ABORT = llama_cpp.ggml_abort_callback(0)
_NO_POST_DECODE = mtmd_cpp.mtmd_helper_post_decode_callback(0)


class PendingImage:
    """An image of this request, tokenized by libmtmd; frees its native objects."""

    def __init__(self, part: ImagePart, bitmap: int, handle: int, chunks: list[int]) -> None:
        self.part, self.bitmap, self.handle, self.chunks = part, bitmap, handle, chunks

    def n_pos(self) -> int:
        """KV positions the image takes, marker tokens included."""
        return sum(mtmd_cpp.mtmd_input_chunk_get_n_pos(c) for c in self.chunks)

    def n_tokens(self) -> int:
        """Tokens (embeddings) the image takes, marker tokens included."""
        return sum(mtmd_cpp.mtmd_input_chunk_get_n_tokens(c) for c in self.chunks)

    def free(self) -> None:
        """Release the chunks and the bitmap."""
        if self.handle:
            mtmd_cpp.mtmd_input_chunks_free(self.handle)
            self.handle = 0
        if self.bitmap:
            mtmd_cpp.mtmd_bitmap_free(self.bitmap)
            self.bitmap = 0


class Cancelled(Exception):
    """The request was cancelled between or inside steps."""


class Runtime:
    """Holds one loaded model and serves chat requests."""

    def __init__(self, cancel_flag: Any, send: Send, recv: Callable[[], tuple[Any, ...]]) -> None:
        self._flag = cancel_flag
        self._send = send
        self._recv = recv
        self._pixels: dict[int, bytes] = {}
        self.native_log = NativeLog()
        self.model: LoadedModel | None = None
        self.cache: list[Segment] = []
        self.embeddings = EmbeddingStore(16)
        self._pieces: dict[int, bytes] = {}
        self._token_infos: dict[int, tuple[bool, bytes]] = {}  # per generated token, looked up per step
        self._sampler: Any = None
        self._sampler_key: SamplingParams | None = None
        self._sampler_attached = False
        self._abort_cb = llama_cpp.ggml_abort_callback(lambda _data: bool(self._flag.value))
        self._eval_nodes = 0
        self._eval_cb = llama_cpp.ggml_backend_sched_eval_callback(self._on_graph_node)

    # ---- loading -------------------------------------------------------------------------------

    def load(self, spec: ModelSpec) -> dict[str, Any]:
        """Load ``spec`` (replacing any loaded model); returns the LoadResult fields."""
        self.unload()
        self.embeddings = EmbeddingStore(spec.embedding_cache_images)
        self.model = load_model(spec, self.native_log, self._eval_cb)
        return self.model.result

    def unload(self) -> None:
        """Free everything llama.cpp holds."""
        self._drop_sampler()
        if self.model is not None:
            self.model.free()
        self.model = None
        self.cache = []
        self._pieces.clear()
        self._token_infos.clear()

    # ---- cancel plumbing -----------------------------------------------------------------------

    def _on_graph_node(self, _tensor: Any, ask: bool, _data: Any) -> bool:
        """Libmtmd's scheduler callback: every 64 nodes ask to stop, then stop if cancelled."""
        if ask:
            self._eval_nodes += 1
            return self._eval_nodes % 64 == 0 or bool(self._flag.value)
        return not self._flag.value

    def _check_cancel(self) -> None:
        if self._flag.value:
            raise Cancelled

    # ---- tokens --------------------------------------------------------------------------------

    def _piece(self, token: int) -> bytes:
        p = self._pieces.get(token)
        if p is None:
            assert self.model is not None
            buf = ctypes.create_string_buffer(64)
            n = llama_cpp.llama_token_to_piece(self.model.vocab, token, buf, 64, 0, True)
            if n < 0:
                buf = ctypes.create_string_buffer(-n)
                n = llama_cpp.llama_token_to_piece(self.model.vocab, token, buf, -n, 0, True)
            p = buf.raw[:n]
            self._pieces[token] = p
        return p

    def _tokenize(self, text: bytes, add_special: bool) -> list[int]:
        assert self.model is not None
        if not text and not add_special:
            return []
        cap = len(text) + 16
        arr = (llama_cpp.llama_token * cap)()
        n = llama_cpp.llama_tokenize(self.model.vocab, text, len(text), arr, cap, add_special, True)
        if n < 0:
            cap = -n
            arr = (llama_cpp.llama_token * cap)()
            n = llama_cpp.llama_tokenize(self.model.vocab, text, len(text), arr, cap, add_special, True)
        return list(arr[:n])

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
            m.batch.n_tokens = n
            m.batch_tokens[:n] = chunk
            m.batch_pos[:n] = np.arange(pos, pos + n, dtype=np.int32)
            m.batch_logits[:n] = 0
            if want_logits and start + n >= len(tokens):
                m.batch_logits[n - 1] = 1
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

    def _prepare_image(self, job: ChatJob, part: ImagePart) -> PendingImage:
        """Bitmap and libmtmd chunks of one image (preprocessed, not yet encoded)."""
        m = self.model
        assert m is not None and m.mtmd
        img = job.images[part.index]
        rgb = self._pixels[part.index]
        if len(rgb) != img.width * img.height * 3:
            raise EngineFailure(f"the pixels of {img.label} do not match its size.")
        buf = (ctypes.c_ubyte * len(rgb)).from_buffer_copy(rgb)
        bitmap = mtmd_cpp.mtmd_bitmap_init(img.width, img.height, buf)
        if not bitmap:
            raise EngineFailure(f"libmtmd could not take the image {img.label}.")
        mtmd_cpp.mtmd_bitmap_set_id(bitmap, img.digest.encode())
        chunks = mtmd_cpp.mtmd_input_chunks_init()
        pending = PendingImage(part, bitmap, chunks, [])
        text = mtmd_cpp.mtmd_input_text(m.marker, len(m.marker), False, True)
        arr = (mtmd_cpp.mtmd_bitmap_p_ctypes * 1)(bitmap)
        rc = mtmd_cpp.mtmd_tokenize(m.mtmd, chunks, ctypes.byref(text), arr, 1)
        if rc != 0:
            pending.free()
            raise EngineFailure(f"libmtmd could not prepare the image {img.label} (code {rc}).")
        pending.chunks = [mtmd_cpp.mtmd_input_chunks_get(chunks, i)
                          for i in range(mtmd_cpp.mtmd_input_chunks_size(chunks))]
        return pending

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
                    self._send(("stage", Stage.ENCODING_IMAGE.value, counter["to_encode_index"],
                                counter["to_encode_total"]))
                t0 = time.perf_counter()
                self._eval_nodes = 0
                rc = mtmd_cpp.mtmd_encode_chunk(m.mtmd, chunk)
                self._check_cancel()
                if rc != 0:
                    raise EngineFailure(f"libmtmd failed to encode {img.label} (code {rc}).")
                n_tok = mtmd_cpp.mtmd_input_chunk_get_n_tokens(chunk)
                embd = self.embeddings.put(key, mtmd_cpp.mtmd_get_output_embd(m.mtmd), n_tok * m.n_embd_inp)
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
        sampler = self._sampler_for(job.sampling)
        try:
            self._chat(job, sampler)
        except BaseException:
            self.reset()
            raise
        finally:
            self._pixels = {}

    def _sampler_for(self, params: SamplingParams) -> Any:
        """The sampler chain for ``params``: kept (reset) while they stay the same.

        On the device, sampling inside the decode graph spares copying the logits to the host per
        token. Attaching a sampler makes llama.cpp re-plan its compute graph on the next decode, so it
        stays attached across requests — attached before any prompt is read, so the first token is
        sampled there too — and is replaced only when the sampling settings change.
        """
        m = self.model
        assert m is not None
        key = dataclasses.replace(params, stop=(), max_tokens=0)
        if self._sampler is not None and self._sampler_key == key:
            llama_cpp.llama_sampler_reset(self._sampler)
            return self._sampler
        self._drop_sampler()
        self._sampler = build_sampler(params, m.n_vocab)
        self._sampler_key = key
        if self._backend_sampling(m):
            self._sampler_attached = bool(llama_cpp.llama_set_sampler(m.ctx, 0, self._sampler))
        return self._sampler

    def _drop_sampler(self) -> None:
        if self._sampler is None:
            return
        if self._sampler_attached and self.model is not None:
            llama_cpp.llama_set_sampler(self.model.ctx, 0, None)
        llama_cpp.llama_sampler_free(self._sampler)
        self._sampler = self._sampler_key = None
        self._sampler_attached = False

    def _chat(self, job: ChatJob, sampler: Any) -> None:
        m = self.model
        if m is None:
            raise EngineFailure("No model is loaded.")
        if job.images and not m.mtmd:
            raise ImagesNeedProjector(m.spec.model)
        t_start = time.perf_counter()
        parts = split_prompt(job.prompt, m.marker.decode(), [i.digest for i in job.images])
        items: list[Item] = [TextSegment(self._tokenize(p.text, p.first)) if isinstance(p, TextPart) else p
                             for p in parts]
        plan = plan_reuse(self.cache, items)
        if not self._trim_to(plan.keep_pos):
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
            llama_cpp.llama_memory_seq_rm(m.memory, 0, pos, -1)
            todo = [TextSegment([tok])]
            new_text_tokens = 1
        self._pixels = self._fetch_pixels([t.index for t in todo if isinstance(t, ImagePart)])
        pending: list[PendingImage] = []
        try:
            steps: list[TextSegment | PendingImage] = []
            for t in todo:
                if isinstance(t, ImagePart):
                    pending.append(self._prepare_image(job, t))
                    steps.append(pending[-1])
                else:
                    steps.append(t)
            prompt_total = pos + new_text_tokens + sum(p.n_pos() for p in pending)
            if prompt_total + 1 > m.n_ctx:
                raise ContextOverflow(prompt_total, m.n_ctx)
            counter = {"to_encode_index": 0, "encode_ms": 0, "encoded": 0,
                       "reused": sum(1 for s in self.cache if isinstance(s, ImageSegment)),
                       "to_encode_total": sum(1 for p in pending
                                              if (job.images[p.part.index].digest, 0) not in self.embeddings)}
            evaluated_from = pos
            llama_cpp.llama_set_abort_callback(m.ctx, self._abort_cb, None)
            try:
                self._send(("stage", Stage.READING_PROMPT.value, None, None))
                for i, step in enumerate(steps):
                    if isinstance(step, PendingImage):
                        pos = self._eval_image(job, step, pos, counter)
                        continue
                    pos = self._decode_tokens(step.tokens, pos, want_logits=i == len(steps) - 1)
                    self._append_text(step)
            except Cancelled:
                self._send(("done", StopReason.CANCELLED.value,
                            self._usage(pos, pos - evaluated_from, 0, counter),
                            {"encode_ms": counter["encode_ms"]}))
                return
            finally:
                llama_cpp.llama_set_abort_callback(m.ctx, _NO_ABORT, None)
        finally:
            for p in pending:
                p.free()
        t_prompt_done = time.perf_counter()
        prompt_evaluated = pos - evaluated_from
        self._generate(job, sampler, pos, prompt_evaluated, counter, t_start, t_prompt_done)

    def _fetch_pixels(self, indices: list[int]) -> dict[int, bytes]:
        """Ask the parent for the pixels of the images that must be evaluated."""
        if not indices:
            return {}
        self._send(("need_pixels", indices))
        reply = self._recv()
        if reply[0] != "pixels" or reply[1] is None:  # the parent could not read an image and said so
            raise EngineFailure("an image of this request could not be read")
        pixels: dict[int, bytes] = reply[1]
        return pixels

    def _trim_to(self, keep_pos: int) -> bool:
        """Drop KV entries from ``keep_pos`` on; False if what is left cannot be continued from."""
        m = self.model
        assert m is not None
        if not llama_cpp.llama_memory_seq_rm(m.memory, 0, keep_pos, -1):
            return False
        n_swa = llama_cpp.llama_model_n_swa(m.model)
        if keep_pos > 0 and n_swa > 0:
            # As llama-server does: a sliding-window cache may have dropped cells the kept prefix needs.
            pos_min = llama_cpp.llama_memory_seq_pos_min(m.memory, 0)
            if pos_min > max(0, keep_pos - n_swa):
                return False
        return True

    def _append_text(self, seg: TextSegment) -> None:
        if self.cache and isinstance(self.cache[-1], TextSegment):
            self.cache[-1].tokens.extend(seg.tokens)
        else:
            self.cache.append(TextSegment(list(seg.tokens)))

    def _usage(self, prompt_tokens: int, evaluated: int, completion: int,
               counter: dict[str, int]) -> dict[str, int]:
        return {"prompt_tokens": prompt_tokens, "prompt_tokens_evaluated": evaluated,
                "completion_tokens": completion, "images_encoded": counter["encoded"],
                "images_reused": counter["reused"]}

    def _generate(self, job: ChatJob, sampler: Any, pos: int, prompt_evaluated: int, counter: dict[str, int],
                  t_start: float, t_prompt_done: float) -> None:
        m = self.model
        assert m is not None
        params = job.sampling
        stream = TextStream(params.stop)
        prompt_tokens = pos
        if not self.cache or not isinstance(self.cache[-1], TextSegment):
            self.cache.append(TextSegment())
        tail = self.cache[-1]
        assert isinstance(tail, TextSegment)
        one = m.one_batch
        token_info = self._token_infos
        n_out = 0
        reason = StopReason.LENGTH
        pending = ""
        t_first: float | None = None
        last_flush = 0.0
        self._send(("stage", Stage.GENERATING.value, None, None))
        while True:
            if self._flag.value:
                reason = StopReason.CANCELLED
                break
            if n_out >= params.max_tokens:
                reason = StopReason.LENGTH
                break
            if pos >= m.n_ctx:
                reason = StopReason.LENGTH
                break
            tok = llama_cpp.llama_sampler_sample(sampler, m.ctx, -1)
            info = token_info.get(tok)
            if info is None:
                info = token_info[tok] = self._token_info(tok)
            if info[0]:
                reason = StopReason.END
                break
            n_out += 1
            pending += stream.feed(info[1])
            now = time.perf_counter()
            if t_first is None:
                t_first = now
            if stream.stopped_by is not None:
                reason = StopReason.STOP_STRING
                break
            if pending and (now - last_flush >= TEXT_FLUSH_S or last_flush == 0.0):
                self._send(("text", pending))
                pending = ""
                last_flush = now
            if n_out >= params.max_tokens:
                reason = StopReason.LENGTH
                break
            one.token[0] = tok
            one.pos[0] = pos
            rc = llama_cpp.llama_decode(m.ctx, one)
            if rc != 0:
                raise EngineFailure(f"llama_decode failed with code {rc} while generating.")
            tail.tokens.append(tok)
            pos += 1
        pending += stream.finish()
        if pending:
            self._send(("text", pending))
        t_end = time.perf_counter()
        first = t_first or t_end
        decode_s = t_end - first
        prompt_s = t_prompt_done - t_start
        timings = {
            "encode_ms": counter["encode_ms"],
            "prompt_ms": prompt_s * 1000.0,
            "decode_ms": decode_s * 1000.0,
            "prompt_tok_s": prompt_evaluated / prompt_s if prompt_s > 0 else 0.0,
            "decode_tok_s": (n_out - 1) / decode_s if n_out > 1 and decode_s > 0 else 0.0,
            "child_ttft_ms": (first - t_start) * 1000.0,
        }
        self._send(("done", reason.value, self._usage(prompt_tokens, prompt_evaluated, n_out, counter), timings))

    @staticmethod
    def _backend_sampling(m: LoadedModel) -> bool:
        """Sample on the device when the output layer is offloaded (VISIONDESK_BACKEND_SAMPLING=0/1 forces)."""
        forced = os.environ.get("VISIONDESK_BACKEND_SAMPLING")
        if forced is not None:
            return forced == "1"
        return int(m.result.get("gpu_layers", 0)) > int(m.result.get("n_layers", 0))

    def _token_info(self, token: int) -> tuple[bool, bytes]:
        """(ends generation, bytes shown) for a generated token; control tokens show nothing."""
        assert self.model is not None
        vocab = self.model.vocab
        if llama_cpp.llama_vocab_is_eog(vocab, token):
            return True, b""
        return False, b"" if llama_cpp.llama_vocab_is_control(vocab, token) else self._piece(token)

    def reset(self) -> None:
        """Forget the cached conversation (the embedding store stays)."""
        if self.model is not None:
            llama_cpp.llama_memory_clear(self.model.memory, True)
        self.cache = []
