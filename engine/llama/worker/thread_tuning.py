"""Chooses CPU thread counts by measuring them on the loaded model.

Physical cores is the starting point, not the answer: on a 2-vCPU virtual machine we measured
llama.cpp decode at 24 tok/s with one thread and 1.4 tok/s with two (the threads spin-wait on each
other while the hypervisor runs something else), and prompt reading no faster with two. So when the
user has not fixed the thread count and layers run on the CPU, each candidate gets a short timed run
— single-token decodes for generation, one small batch for prompt reading — and the fastest wins.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

import llama_cpp

log = logging.getLogger(__name__)

STEP_BUDGET_S = 0.25  # per candidate: enough to see a stall, short enough not to slow loading
MAX_STEPS = 6
BATCH_TOKENS = 16
BATCH_BUDGET_S = 1.0  # a slow model gets one batch probe, not one per candidate


@dataclasses.dataclass(frozen=True)
class ThreadChoice:
    """The chosen counts and what was measured (tokens per second by thread count)."""

    threads: int
    threads_batch: int
    decode_rates: dict[int, float]
    batch_rates: dict[int, float]


def candidates(physical: int, logical: int) -> list[int]:
    """Thread counts worth trying, best guess first."""
    options = [physical, max(1, physical - 1), max(1, physical // 2), 1]
    if logical > physical:
        options.append(logical)
    return list(dict.fromkeys(options))


def _decode_rate(m: Any, n_threads: int, n_batch_threads: int) -> float:
    llama_cpp.llama_set_n_threads(m.ctx, n_threads, n_batch_threads)
    llama_cpp.llama_memory_clear(m.memory, True)
    one = m.one_batch
    token = max(llama_cpp.llama_vocab_bos(m.vocab), 0)
    steps = 0
    start = time.perf_counter()
    while steps < MAX_STEPS and time.perf_counter() - start < STEP_BUDGET_S:
        one.token[0] = token
        one.pos[0] = steps
        if llama_cpp.llama_decode(m.ctx, one) != 0:
            break
        steps += 1
    elapsed = time.perf_counter() - start
    return steps / elapsed if elapsed > 0 else 0.0


def _batch_rate(m: Any, n_threads: int, n_batch_threads: int) -> float:
    llama_cpp.llama_set_n_threads(m.ctx, n_threads, n_batch_threads)
    llama_cpp.llama_memory_clear(m.memory, True)
    n = min(BATCH_TOKENS, m.n_batch)
    m.fill_batch(max(llama_cpp.llama_vocab_bos(m.vocab), 0), n, 0, True)
    start = time.perf_counter()
    ok = llama_cpp.llama_decode(m.ctx, m.batch) == 0
    elapsed = time.perf_counter() - start
    return n / elapsed if ok and elapsed > 0 else 0.0


def tune_threads(m: Any, physical: int, logical: int) -> ThreadChoice:
    """Measure each candidate on the loaded model and keep the fastest; leaves the cache empty."""
    options = candidates(physical, logical)
    _decode_rate(m, options[0], options[0])  # warm the weights and caches before timing anything
    decode = {t: _decode_rate(m, t, options[0]) for t in options}
    threads = max(decode, key=lambda t: decode[t])
    batch: dict[int, float] = {}
    for t in [threads, *[o for o in options if o != threads]]:
        batch[t] = _batch_rate(m, threads, t)
        if batch[t] and BATCH_TOKENS / batch[t] > BATCH_BUDGET_S:
            break
    threads_batch = max(batch, key=lambda t: batch[t])
    llama_cpp.llama_set_n_threads(m.ctx, threads, threads_batch)
    llama_cpp.llama_memory_clear(m.memory, True)
    log.info("threads chosen by measurement: generation %d (%s tok/s), prompt %d (%s tok/s)", threads,
             {k: round(v, 1) for k, v in decode.items()}, threads_batch, {k: round(v, 1) for k, v in batch.items()})
    return ThreadChoice(threads, threads_batch, decode, batch)
