"""Batch throughput: images per minute for one batch job at 1, 2, 4 and 8 parallel sequences, against
sequential single requests.

    python bench/batch_bench.py                          # generated tiny models, 64 images
    python bench/batch_bench.py --shape medium           # 576-token images, a wider decoder
    python bench/batch_bench.py --shape bench            # the benchmark's realistic models (bench_models.py:
                                                         # ~1.1B decoder in Q4_K_M, CLIP ViT-L/14-336); needs
                                                         # llama-quantize (on PATH after gpu_run.sh prepare)
    python bench/batch_bench.py --models T.gguf P.gguf --images 64 --parallel 1 2 4 8 --out table.md

"Sequential" is one engine (one sequence) answering the images one request after another, as a chat
would. "N parallel" is ``run_batch`` (the batch job, result file and all) on ONE engine loaded with
``ModelSpec(parallel=N)``: N sequences of one llama.cpp context, decoded together one token each per
``llama_decode``; images are encoded one at a time (``engine/llama/worker/parallel_generation.py``).
Every answer is free text of exactly ``--tokens`` tokens at temperature 0 (the generated models never stop
early), so the runs compare like with like; the table also says how many answers equal the sequential
ones (batched kernels may round differently in the last bits). Prints a Markdown table (and writes it to
``--out``); ``--budget-s`` skips the runs that would not fit.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from shim import ensure_visiondesk  # noqa: E402

ensure_visiondesk()

from PIL import Image  # noqa: E402
from visiondesk.batch import BatchSummary, BatchTask, ResultFile, run_batch  # noqa: E402
from visiondesk.engine import EngineEvent, Finished, Message, ModelSpec, SamplingParams, TextDelta, Tuning  # noqa: E402
from visiondesk.engine.llama import LocalEngine  # noqa: E402
from visiondesk.engine.requests import physical_cores  # noqa: E402

from tests.model_factory import TextShape, VisionShape, write_mmproj, write_text_model  # noqa: E402

PROMPT = "Read this receipt and give the total."
# --ahead-ab: how a parallel job works ahead of its slots (Tuning), and the table's words for each
WAYS = {
    "read": (Tuning(read_ahead=True), "prompts read ahead in a second context (forced)"),
    "encode": (Tuning(read_ahead=False, encode_ahead=True), "images encoded ahead only (forced)"),
    "plain": (Tuning(read_ahead=False, encode_ahead=False), "each prompt read when its slot takes it (forced)"),
}


def models(shape: str, folder: Path) -> tuple[Path, Path]:
    if shape == "tiny":
        return write_text_model(folder / "text.gguf"), write_mmproj(folder / "mmproj.gguf")
    if shape == "bench":
        from bench_models import bench_models
        from llama_tools import build_cpu_tools, find_tools

        tools = find_tools() or build_cpu_tools()
        m = bench_models(tools["llama-quantize"], with_gemma=False)
        return m.model, m.mmproj
    text = write_text_model(folder / "text.gguf", shape=TextShape(n_embd=256, n_layer=4, n_head=4, n_ff=768))
    mmproj = write_mmproj(folder / "mmproj.gguf", projection_dim=256,
                          shape=VisionShape(image_size=336, patch_size=14, n_embd=384, n_layer=8, n_head=6, n_ff=1024))
    return text, mmproj


def images(folder: Path, count: int) -> list[Path]:
    out = []
    for i in range(count):
        path = folder / f"receipt-{i:03d}.png"
        Image.new("RGB", (320, 480), ((i * 37) % 256, (i * 91) % 256, (i * 53) % 256)).save(path)
        out.append(path)
    return out


def load(text: Path, mmproj: Path, threads: int | None, n_ctx: int, parallel: int,
         tuning: Tuning = Tuning()) -> LocalEngine:
    engine = LocalEngine()
    info = engine.load(ModelSpec(model=text, mmproj=mmproj, n_ctx=n_ctx, threads=threads, parallel=parallel,
                                 tuning=tuning))
    print(f"[batch] loaded with {parallel} slot(s) on {info.backend}, {info.gpu_layers} GPU layers", file=sys.stderr,
          flush=True)
    return engine


def breakdown(label: str, finished: list[Finished], seconds: float) -> None:
    """Where one run's time went, from the engine process's own per-request figures (stderr)."""
    if not finished:
        return
    n = len(finished)
    enc = sum(f.timings.encode_ms for f in finished)
    prompt = sum(f.timings.prompt_ms for f in finished)
    dec = sorted(f.timings.decode_tok_s for f in finished)
    ahead = sum(f.usage.images_encoded_ahead for f in finished)
    print(f"[batch] {label}: per image encode {enc / n:.1f} ms, prompt read (encode included) {prompt / n:.1f} ms; "
          f"prompt reads {prompt / 1000 / seconds:.0%} of the wall time; per-answer decode {dec[n // 2]:.0f} tok/s "
          f"(median); {ahead} of {n} images encoded ahead", file=sys.stderr, flush=True)


def sequential(engine: LocalEngine, paths: list[Path], sampling: SamplingParams) -> tuple[float, dict[str, str]]:
    answers: dict[str, str] = {}
    finished: list[Finished] = []
    t0 = time.perf_counter()
    for p in paths:
        parts = []
        for event in engine.chat([Message.user(PROMPT, p)], sampling):
            if isinstance(event, TextDelta):
                parts.append(event.text)
            elif isinstance(event, Finished):
                assert event.error is None, event
                finished.append(event)
        answers[str(p)] = "".join(parts).strip()
    seconds = time.perf_counter() - t0
    breakdown("sequential", finished, seconds)
    return seconds, answers


def parallel(engine: LocalEngine, paths: list[Path], sampling: SamplingParams,
             out: Path) -> tuple[float, dict[str, str]]:
    task = BatchTask(PROMPT, sampling)
    summary = BatchSummary()
    finished: list[Finished] = []
    chat_parallel = engine.chat_parallel

    def recording(*args: Any, **kwargs: Any) -> Iterator[tuple[int, EngineEvent]]:
        for key, event in chat_parallel(*args, **kwargs):
            if isinstance(event, Finished):
                finished.append(event)
            yield key, event

    engine.chat_parallel = recording
    t0 = time.perf_counter()
    with ResultFile(out, task.task_id) as results:
        for outcome in run_batch(engine, task, paths, results):
            summary.add(outcome)
    seconds = time.perf_counter() - t0
    assert summary.done == len(paths), summary
    breakdown(f"{engine.parallel_slots} parallel", finished, seconds)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    return seconds, {r["image"]: r["answer"] for r in rows}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", choices=("tiny", "medium", "bench"), default="tiny")
    ap.add_argument("--models", nargs=2, type=Path, metavar=("TEXT", "MMPROJ"), help="use these models instead")
    ap.add_argument("--images", type=int, default=64)
    ap.add_argument("--tokens", type=int, nargs="+", default=[32], help="answer lengths (a table part each)")
    ap.add_argument("--ctx", type=int, default=2048, help="context per sequence")
    ap.add_argument("--parallel", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--threads", type=int, default=None, help="CPU threads (default: physical cores)")
    ap.add_argument("--ahead-ab", action="store_true",
                    help="at the largest --parallel, also run the ways of working ahead that are not the default "
                         "(WAYS: prompts read ahead, the default with a projector on a CUDA GPU; images encoded "
                         "ahead only; neither, the default elsewhere)")
    ap.add_argument("--budget-s", type=float, default=0.0, help="skip runs once this much time is spent (0: none)")
    ap.add_argument("--out", type=Path, help="also write the table here (after every row)")
    args = ap.parse_args()
    t_start = time.perf_counter()
    threads = args.threads or physical_cores()
    name = args.shape if not args.models else "given"
    lines = [f"{args.images} images, {name} models, {threads} threads, {args.ctx} tokens per sequence, "
             "temperature 0", "",
             "| answer | run | seconds | images/min | vs sequential | answers as sequential |",
             "|---|---|---|---|---|---|"]

    def row(tokens: int, label: str, seconds: float, base: float, same: int) -> None:
        lines.append(f"| {tokens} tokens | {label} | {seconds:.2f} | {args.images / seconds * 60:.0f} "
                     f"| {base / seconds:.2f}x | {same}/{args.images} |")
        if args.out:
            args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        text, mmproj = args.models or models(args.shape, folder)
        paths = images(folder, args.images)
        for tokens in args.tokens:
            sampling = SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=tokens)
            engine = load(text, mmproj, threads, args.ctx, 1)
            try:
                base, reference = sequential(engine, paths, sampling)
                loaded = engine.loaded
                cuda = loaded is not None and loaded.backend == "CUDA" and bool(loaded.projector_device)
                lines[0] += f", {engine.loaded.backend if engine.loaded else '?'}" if tokens == args.tokens[0] else ""
            finally:
                engine.close()
            print(f"[batch] {tokens} tokens, sequential: {base:.2f} s", file=sys.stderr, flush=True)
            row(tokens, "sequential single requests", base, base, len(paths))
            runs = [(n, Tuning(), "") for n in args.parallel]
            if args.ahead_ab:  # the ways that are not the default here (reading ahead with a projector on CUDA)
                default = "read" if cuda else "plain"
                runs += [(max(args.parallel), tuning, way) for way, (tuning, _) in WAYS.items() if way != default]
            for n, tuning, way in runs:
                spent = time.perf_counter() - t_start
                if args.budget_s and spent + base > args.budget_s:
                    print(f"[batch] {tokens} tokens, {n} parallel skipped: {spent:.0f} s spent of {args.budget_s:.0f}",
                          file=sys.stderr)
                    continue
                engine = load(text, mmproj, threads, args.ctx, n, tuning)
                forced = f"-{way}" if way else ""
                try:
                    seconds, answers = parallel(engine, paths, sampling,
                                                folder / f"out-{tokens}-{n}{forced}.jsonl")
                finally:
                    engine.close()
                same = sum(answers.get(k) == v for k, v in reference.items())
                shared = sorted(len(os.path.commonprefix([answers.get(k, ""), v])) / max(1, len(v))
                                for k, v in reference.items() if answers.get(k) != v)
                if shared:  # how far the differing answers agree with the sequential ones before they part
                    print(f"[batch] the {len(shared)} differing answers share with the sequential ones a median "
                          f"{shared[len(shared) // 2]:.0%} (least {shared[0]:.0%}) of their text before they part",
                          file=sys.stderr)
                print(f"[batch] {tokens} tokens, {n} parallel{forced}: {seconds:.2f} s, "
                      f"{same}/{len(paths)} answers as sequential", file=sys.stderr, flush=True)
                label = f"batch job, {n} parallel sequences" if n > 1 else "batch job, 1 sequence"
                label += f", {WAYS[way][1]}" if way else ""
                row(tokens, label, seconds, base, same)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
