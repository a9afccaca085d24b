"""A reference answer straight from libmtmd's own helpers, in the test process, without the engine.

``mtmd_tokenize`` cuts the whole prompt (text and images) into chunks as libmtmd means it to be read,
``mtmd_helper_eval_chunks`` evaluates them with libmtmd's positions (M-RoPE included) and attention
modes, then a plain greedy loop generates. The engine reads prompts its own way (text tokenized
between media markers, images one at a time from its caches): its greedy answer must be the same.
"""

from __future__ import annotations

import ctypes
import dataclasses
from pathlib import Path

import llama_cpp
import numpy as np
from llama_cpp import mtmd_cpp
from visiondesk.engine.images import PreparedImage


@dataclasses.dataclass(frozen=True)
class Reference:
    """libmtmd's reading of a prompt and the greedy answer after it."""

    answer: str
    n_pos: int  # positions the prompt takes
    n_tokens: int  # KV cells (tokens and embeddings) the prompt takes
    image_chunks: int  # image chunks (an image cut into slices makes several)


def reference_answer(model_path: Path, mmproj_path: Path, prompt: str, images: list[PreparedImage],
                     max_tokens: int = 16, n_ctx: int = 1024) -> Reference:
    """Greedy answer to ``prompt`` (with libmtmd's media markers) as libmtmd's own helpers read it."""
    llama_cpp.llama_backend_init()
    mparams = llama_cpp.llama_model_default_params()
    mparams.n_gpu_layers = 0
    model = llama_cpp.llama_model_load_from_file(str(model_path).encode(), mparams)
    assert model, model_path
    cparams = llama_cpp.llama_context_default_params()
    cparams.n_ctx, cparams.n_batch, cparams.n_ubatch = n_ctx, 2048, 512  # as the engine
    cparams.n_threads = cparams.n_threads_batch = 1
    ctx = llama_cpp.llama_init_from_model(model, cparams)
    mp = mtmd_cpp.mtmd_context_params_default()
    mp.use_gpu, mp.n_threads, mp.print_timings = False, 1, False
    mctx = mtmd_cpp.mtmd_init_from_file(str(mmproj_path).encode(), model, mp)
    assert mctx, mmproj_path
    vocab = llama_cpp.llama_model_get_vocab(model)
    bitmaps = []
    chunks = mtmd_cpp.mtmd_input_chunks_init()
    try:
        for img in images:
            buf = (ctypes.c_ubyte * len(img.rgb)).from_buffer_copy(img.rgb)
            bitmaps.append(mtmd_cpp.mtmd_bitmap_init(img.width, img.height, buf))
        text = prompt.encode()
        inp = mtmd_cpp.mtmd_input_text(text, len(text), True, True)
        arr = (mtmd_cpp.mtmd_bitmap_p_ctypes * max(1, len(bitmaps)))(*bitmaps)
        assert mtmd_cpp.mtmd_tokenize(mctx, chunks, ctypes.byref(inp), arr, len(bitmaps)) == 0
        n = mtmd_cpp.mtmd_input_chunks_size(chunks)
        image_chunks = sum(
            1 for i in range(n)
            if mtmd_cpp.mtmd_input_chunk_get_type(mtmd_cpp.mtmd_input_chunks_get(chunks, i))
            == mtmd_cpp.MTMD_INPUT_CHUNK_TYPE_IMAGE)
        n_pos = llama_cpp.llama_pos(0)
        rc = mtmd_cpp.mtmd_helper_eval_chunks(mctx, ctx, chunks, 0, 0, 2048, True, ctypes.byref(n_pos))
        assert rc == 0, rc
        pos = n_pos.value
        prompt_pos, prompt_tokens = pos, mtmd_cpp.mtmd_helper_get_n_tokens(chunks)
        n_vocab = llama_cpp.llama_vocab_n_tokens(vocab)
        out = b""
        batch = llama_cpp.llama_batch_init(1, 0, 1)
        try:
            for _ in range(max_tokens):
                logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(ctx, -1), shape=(n_vocab,))
                tok = int(np.argmax(logits))
                if llama_cpp.llama_vocab_is_eog(vocab, tok):
                    break
                piece = ctypes.create_string_buffer(64)
                k = llama_cpp.llama_token_to_piece(vocab, tok, piece, 64, 0, False)
                out += piece.raw[:k]
                batch.n_tokens, batch.token[0], batch.pos[0] = 1, tok, pos
                batch.n_seq_id[0], batch.seq_id[0][0], batch.logits[0] = 1, 0, 1
                assert llama_cpp.llama_decode(ctx, batch) == 0
                pos += 1
        finally:
            llama_cpp.llama_batch_free(batch)
        return Reference(out.decode("utf-8", "replace"), prompt_pos, prompt_tokens, image_chunks)
    finally:
        mtmd_cpp.mtmd_input_chunks_free(chunks)
        for b in bitmaps:
            mtmd_cpp.mtmd_bitmap_free(b)
        mtmd_cpp.mtmd_free(mctx)
        llama_cpp.llama_free(ctx)
        llama_cpp.llama_model_free(model)
