"""A bare ``llama_decode`` loop through llama-cpp-python's own libraries: what llama-bench tg128 does.

    python bench/raw_decode.py MODEL.gguf [ROUNDS] [--depth D] [--argmax] [--tokens N]
                               [--gpu-layers N] [--threads N] [--n-ctx N] [--json]

No sampling, no IPC: the floor the engine's decode is compared with, to tell the engine's own cost
from differences between llama.cpp builds (see bench/RESULTS.md). ``--depth D`` first reads D tokens
into the context (as llama-bench ``-d``), so the loop decodes at that depth; ``--argmax`` picks each
next token as the engine's greedy path does (the argmax of the logits row, read in place), instead of
feeding a constant token. By default one thread on the CPU, in two contexts (llama-bench's size and
the engine's default); ``--n-ctx`` gives one context of that size, shaped as the engine's (one
sequence, 512-token micro-batches, flash attention as llama.cpp chooses), and ``--gpu-layers``
offloads. ``--json`` prints one JSON line: ``{"n_ctx": [rates...]}``.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import statistics
import time
from typing import Any

import llama_cpp
import numpy as np


def fill(ctx: Any, batch: Any, depth: int) -> None:
    """Read ``depth`` tokens into the (cleared) context, in batches of 512, logits for none."""
    pos = 0
    while pos < depth:
        n = min(512, depth - pos)
        batch.n_tokens = n
        for j in range(n):
            batch.token[j] = 10 + (pos + j) % 50
            batch.pos[j] = pos + j
            batch.n_seq_id[j] = 1
            batch.seq_id[j][0] = 0
            batch.logits[j] = 0
        assert llama_cpp.llama_decode(ctx, batch) == 0
        pos += n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("rounds", type=int, nargs="?", default=4)
    ap.add_argument("--depth", type=int, default=0)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--argmax", action="store_true")
    ap.add_argument("--gpu-layers", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--n-ctx", type=int, default=None, help="one context of this size (default: two, see above)")
    ap.add_argument("--json", action="store_true", help="print the rates as one JSON line")
    a = ap.parse_args()
    llama_cpp.llama_backend_init()
    mparams = llama_cpp.llama_model_default_params()
    mparams.n_gpu_layers = a.gpu_layers
    model = llama_cpp.llama_model_load_from_file(a.model.encode(), mparams)
    n_vocab = llama_cpp.llama_vocab_n_tokens(llama_cpp.llama_model_get_vocab(model))
    contexts = {}
    # llama-bench's context (just enough), and the engine's default (or what the depth needs)
    sizes = (a.n_ctx,) if a.n_ctx else (a.depth + a.tokens, max(4096, a.depth + a.tokens + 512))
    for n_ctx in sizes:
        cparams = llama_cpp.llama_context_default_params()
        cparams.n_ctx = n_ctx
        cparams.n_seq_max = 1
        cparams.kv_unified = False
        cparams.n_batch = cparams.n_ubatch = 512
        cparams.n_threads = cparams.n_threads_batch = a.threads
        cparams.no_perf = True
        contexts[n_ctx] = llama_cpp.llama_init_from_model(model, cparams)
    warm = a.gpu_layers > 0  # a GPU's first decodes load kernels: one untimed pass first
    big = llama_cpp.llama_batch_init(512, 0, 1)
    one = llama_cpp.llama_batch_init(1, 0, 1)
    one.n_tokens = 1
    one.n_seq_id[0] = 1
    one.seq_id[0][0] = 0
    one.logits[0] = 1
    row = ctypes.c_float * n_vocab
    rates: dict[int, list[float]] = {n: [] for n in contexts}
    for rnd in range(a.rounds + warm):  # interleaved, so drift hits both alike
        for n_ctx, ctx in contexts.items():
            llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(ctx), True)
            fill(ctx, big, a.depth)
            tok = 1
            start = time.perf_counter()
            for i in range(a.tokens):
                one.token[0] = tok
                one.pos[0] = a.depth + i
                assert llama_cpp.llama_decode(ctx, one) == 0
                if a.argmax:
                    ptr = llama_cpp.llama_get_logits_ith(ctx, -1)
                    tok = int(np.frombuffer(memoryview(row.from_address(ctypes.addressof(ptr.contents))),
                                            dtype=np.float32).argmax())
                else:
                    llama_cpp.llama_synchronize(ctx)
            if rnd >= warm:
                rates[n_ctx].append(a.tokens / (time.perf_counter() - start))
    for n_ctx, r in rates.items():
        print(f"n_ctx {n_ctx}, depth {a.depth}: median {statistics.median(r):.1f} tok/s over {a.rounds} rounds "
              f"{[round(x, 1) for x in r]} (wheel libllama, bare loop{', argmax pick' if a.argmax else ''}, "
              f"{a.threads} thread(s), {a.gpu_layers} GPU layers)")
    if a.json:  # last, for the caller to read
        print(json.dumps({str(n): r for n, r in rates.items()}))
    llama_cpp.llama_batch_free(big)
    llama_cpp.llama_batch_free(one)
    for ctx in contexts.values():
        llama_cpp.llama_free(ctx)
    llama_cpp.llama_model_free(model)


if __name__ == "__main__":
    main()
