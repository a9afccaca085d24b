"""A bare ``llama_decode`` loop through llama-cpp-python's own libraries: what llama-bench tg128 does.

    python bench/raw_decode.py MODEL.gguf

One thread, no sampling, no IPC: the floor the engine's decode is compared with on the CPU, to tell
the engine's own cost from differences between llama.cpp builds (see bench/RESULTS.md).
"""

from __future__ import annotations

import statistics
import sys
import time

import llama_cpp

TOKENS = 128


def main(path: str, rounds: int = 4) -> None:
    llama_cpp.llama_backend_init()
    mparams = llama_cpp.llama_model_default_params()
    mparams.n_gpu_layers = 0
    model = llama_cpp.llama_model_load_from_file(path.encode(), mparams)
    contexts = {}
    for n_ctx in (128, 4096):  # llama-bench tg128's context, and the engine's default
        cparams = llama_cpp.llama_context_default_params()
        cparams.n_ctx = n_ctx
        cparams.n_batch = cparams.n_ubatch = 512
        cparams.n_threads = cparams.n_threads_batch = 1
        cparams.no_perf = True
        contexts[n_ctx] = llama_cpp.llama_init_from_model(model, cparams)
    one = llama_cpp.llama_batch_init(1, 0, 1)
    one.n_tokens = 1
    one.n_seq_id[0] = 1
    one.seq_id[0][0] = 0
    one.logits[0] = 1
    rates: dict[int, list[float]] = {n: [] for n in contexts}
    for _ in range(rounds):  # interleaved, so drift hits both alike
        for n_ctx, ctx in contexts.items():
            llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(ctx), True)
            start = time.perf_counter()
            for i in range(TOKENS):
                one.token[0] = 1
                one.pos[0] = i
                assert llama_cpp.llama_decode(ctx, one) == 0
            rates[n_ctx].append(TOKENS / (time.perf_counter() - start))
    for n_ctx, r in rates.items():
        print(f"n_ctx {n_ctx}: median {statistics.median(r):.1f} tok/s over {rounds} rounds "
              f"{[round(x, 1) for x in r]} (wheel libllama, bare loop, 1 thread)")
    llama_cpp.llama_batch_free(one)
    for ctx in contexts.values():
        llama_cpp.llama_free(ctx)
    llama_cpp.llama_model_free(model)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 4)
