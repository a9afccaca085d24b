"""Follow-up time to first token with and without widening short batches (CPU), engines side by side.

    python bench/followup_batch.py [--threads 1] [--reps 5]

Two engines on the realistic VLM (``bench/bench_models.py``), one with ``Tuning(widen_batches=False)``,
each answer the same image question; then the same follow-ups go to both in turn (the benchmark's
follow-up with a different opening word each time, so each is read afresh: ~62 new tokens at depth
~640). Prints the engine's own prompt time per follow-up and the median ratio. Not a test; figures
depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from shim import ensure_visiondesk  # noqa: E402

ensure_visiondesk()

from bench_models import bench_models  # noqa: E402
from engine_figures import Q1, Q2, engine_close, engine_load, engine_request, make_images  # noqa: E402
from llama_tools import build_cpu_tools, find_tools  # noqa: E402
from visiondesk.engine import Message, Tuning  # noqa: E402

WORDS = ["Now", "Then", "Also", "Next", "Please", "Finally", "Again", "So", "And", "Well"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    tools = find_tools() or build_cpu_tools()
    m = bench_models(tools["llama-quantize"], with_gemma=False)
    image = make_images(BENCH / ".cache" / "images", 1)[0]
    engines = {}
    for mode in ("1", "0"):
        engines[mode] = engine_load(m.model, m.mmproj, a.threads, 0, tuning=Tuning(widen_batches=mode == "1"))[0]
    try:
        q1 = [Message.user(Q1, image)]
        answers = {k: engine_request(e, q1, 16)["text"] for k, e in engines.items()}
        assert answers["1"] == answers["0"], "the two engines disagree on the first answer"
        times: dict[str, list[float]] = {"1": [], "0": []}
        evaluated: dict[str, list[int]] = {"1": [], "0": []}
        for i in range(a.reps):
            q2 = f"{WORDS[i % len(WORDS)]}: {Q2[0].lower()}{Q2[1:]}"  # the benchmark's follow-up (~62 new tokens)
            turn = [*q1, Message.assistant(answers["1"]), Message.user(q2)]
            for k in (("1", "0") if i % 2 == 0 else ("0", "1")):
                r = engine_request(engines[k], turn, 4)
                times[k].append(r["eng_prompt_ms"])
                evaluated[k].append(r["prompt_tokens_evaluated"])
        for k, label in (("0", "as is"), ("1", "widened")):
            print(f"{label:8s}: prompt ms {[round(x) for x in times[k]]} evaluated {evaluated[k]}")
        ratio = statistics.median(w / n for w, n in zip(times["1"], times["0"], strict=True))
        print(f"widened / as is, median of {a.reps} pairs: {ratio:.3f}")
    finally:
        for e in engines.values():
            engine_close(e)


if __name__ == "__main__":
    main()
