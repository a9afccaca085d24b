"""Where a batch slot's prompt read goes on the GPU: llama.cpp timed directly, one process, no engine.

    python bench/prompt_read_probe.py MODEL.gguf [--reps 9] [--json out.json]

For contexts shaped as the engine shapes them (``model_loader._context_params``: one sequence, and 8
sequences with the KV cache split per sequence or unified), times with ``llama_decode`` + ``llama_synchronize``
(median of ``--reps``, after a full-batch warm-up):

- a prompt of N text tokens read from position 0, N in 64, 512, 576, 650;
- 576 image-like embeddings (random, the decoder's input width) read from position 0, as libmtmd's helper
  feeds an image's chunk, and the same split the way a chat prompt arrives (5 text tokens, 576 embeddings,
  69 text tokens: four calls);
- one decode step of 1 sequence and of 8 sequences at depth 650 (8 sequences: one token each in one batch).

So the engine's per-image read time (``batch_bench.py`` prints it) can be set against what llama.cpp itself
takes for the same shapes on the same weights. Prints a table; ``--json`` writes the figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from shim import ensure_visiondesk  # noqa: E402

ensure_visiondesk()

import llama_cpp  # noqa: E402
import numpy as np  # noqa: E402


def timed(fn: Callable[[], None], reset: Callable[[], None], reps: int) -> float:
    """Median milliseconds of ``fn`` (each run after ``reset``, untimed)."""
    out = []
    for _ in range(reps):
        reset()
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(out)


class Probe:
    def __init__(self, model: object, n_seq: int, unified: bool, n_ctx_per_seq: int = 2048, n_ubatch: int = 512):
        p = llama_cpp.llama_context_default_params()
        p.n_ctx = n_ctx_per_seq * n_seq
        p.n_seq_max = n_seq
        p.kv_unified = unified
        p.n_batch = 2048
        p.n_ubatch = n_ubatch
        p.no_perf = True
        self.ctx = llama_cpp.llama_init_from_model(model, p)
        assert self.ctx, "context"
        self.mem = llama_cpp.llama_get_memory(self.ctx)
        self.n_embd = llama_cpp.llama_model_n_embd_inp(model)  # the decoder's input width, as the engine's
        self.tok = llama_cpp.llama_batch_init(2048, 0, n_seq)
        self.emb = llama_cpp.llama_batch_init(1024, self.n_embd, 1)
        # made once, outside the timed calls
        self.noise = np.random.default_rng(0).standard_normal(1024 * self.n_embd).astype(np.float32) * 0.02
        self.n_vocab = llama_cpp.llama_vocab_n_tokens(llama_cpp.llama_model_get_vocab(model))

    def clear(self) -> None:
        llama_cpp.llama_memory_clear(self.mem, True)

    def text(self, n: int, pos: int = 0, seq: int = 0, logits_last: bool = True) -> None:
        b = self.tok
        b.n_tokens = n
        for i in range(n):
            b.token[i] = (100 + i * 37) % self.n_vocab
            b.pos[i] = pos + i
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = seq
            b.logits[i] = 1 if (logits_last and i == n - 1) else 0
        assert llama_cpp.llama_decode(self.ctx, b) == 0
        llama_cpp.llama_synchronize(self.ctx)

    def embd(self, n: int, pos: int = 0, seq: int = 0) -> None:
        b = self.emb
        b.n_tokens = n
        arr = np.ctypeslib.as_array(b.embd, shape=(1024 * self.n_embd,))
        arr[:n * self.n_embd] = self.noise[:n * self.n_embd]
        for i in range(n):
            b.pos[i] = pos + i
            b.n_seq_id[i] = 1
            b.seq_id[i][0] = seq
            b.logits[i] = 0
        assert llama_cpp.llama_decode(self.ctx, b) == 0
        llama_cpp.llama_synchronize(self.ctx)

    def step(self, n_seq: int, depth: int) -> None:
        b = self.tok
        b.n_tokens = n_seq
        for s in range(n_seq):
            b.token[s] = (500 + s) % self.n_vocab
            b.pos[s] = depth
            b.n_seq_id[s] = 1
            b.seq_id[s][0] = s
            b.logits[s] = 1
        assert llama_cpp.llama_decode(self.ctx, b) == 0
        llama_cpp.llama_synchronize(self.ctx)

    def fill(self, n_seq: int, depth: int) -> None:
        self.clear()
        for s in range(n_seq):
            self.text(depth, 0, s, False)

    def drop_step(self, n_seq: int, depth: int) -> None:
        for s in range(n_seq):
            llama_cpp.llama_memory_seq_rm(self.mem, s, depth, -1)

    def free(self) -> None:
        llama_cpp.llama_batch_free(self.tok)
        llama_cpp.llama_batch_free(self.emb)
        llama_cpp.llama_free(self.ctx)


def measure(p: Probe, n_seq: int, reps: int) -> dict[str, float]:
    """The figures of one context shape; frees ``p``."""
    p.text(512)  # warm-up: the large-batch kernels and scratch memory
    p.clear()
    f: dict[str, float] = {}
    for n in (64, 512, 576, 650):
        f[f"text {n}"] = timed(lambda n=n: p.text(n), p.clear, reps)
    f["embd 576"] = timed(lambda: p.embd(576), p.clear, reps)

    def chat_shape() -> None:
        p.text(5, 0, 0, False)
        p.embd(576, 5)
        p.text(69, 581)

    f["5 text + 576 embd + 69 text (4 calls)"] = timed(chat_shape, p.clear, reps)
    p.fill(n_seq, 650)
    for k in sorted({1, n_seq}):
        f[f"step {k} seq @650"] = timed(lambda k=k: p.step(k, 650), lambda k=k: p.drop_step(k, 650), reps * 3)
    p.free()
    return f


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--gpu-layers", type=int, default=99)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    llama_cpp.llama_backend_init()
    mp = llama_cpp.llama_model_default_params()
    mp.n_gpu_layers = args.gpu_layers
    model = llama_cpp.llama_model_load_from_file(str(args.model).encode(), mp)
    assert model, "model"
    figures: dict[str, dict[str, float]] = {}
    configs = [("1 sequence", 1, False, 512), ("8 sequences, split KV (the engine's)", 8, False, 512),
               ("8 sequences, unified KV", 8, True, 512), ("1 sequence, ubatch 1024", 1, False, 1024)]
    for name, n_seq, unified, ub in configs:
        f = measure(Probe(model, n_seq, unified, n_ubatch=ub), n_seq, args.reps)
        figures[name] = f
        print(f"[probe] {name}: " + ", ".join(f"{k} {v:.2f} ms" for k, v in f.items()), flush=True)
    keys = list(dict.fromkeys(k for f in figures.values() for k in f))
    print(f"\n| what (ms, median of {args.reps}) | " + " | ".join(figures) + " |")
    print("|---|" + "---|" * len(figures))
    for k in keys:
        print(f"| {k} | " + " | ".join(f"{f[k]:.2f}" if k in f else "—" for f in figures.values()) + " |")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    llama_cpp.llama_model_free(model)


if __name__ == "__main__":
    main()
