"""Batch throughput: images per minute at 1, 2, 4 and 8 images in flight, against sequential single requests.

    python bench/batch_bench.py                       # generated tiny models, 64 images
    python bench/batch_bench.py --shape medium        # 576-token images, a wider decoder
    python bench/batch_bench.py --models T.gguf P.gguf --images 64 --parallel 1 2 4 8

"Sequential" is one engine answering the images one request after another (no result file). "Parallel N"
is ``run_batch`` with N backends: today N local engine processes, each with the whole model and
``cores // N`` threads (llama.cpp's parallel sequences in one context are not implemented yet; see
issue 22 item 4). Every answer is free text of exactly ``--tokens`` tokens (the generated "chatty" model
never stops early), so the runs compare like with like. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from visiondesk.batch import BatchSummary, BatchTask, ResultFile, run_batch  # noqa: E402
from visiondesk.engine import Finished, Message, ModelSpec, SamplingParams  # noqa: E402
from visiondesk.engine.llama import LocalEngine  # noqa: E402
from visiondesk.engine.requests import physical_cores  # noqa: E402

from tests.model_factory import TextShape, VisionShape, write_mmproj, write_text_model  # noqa: E402

PROMPT = "Read this receipt and give the total."


def models(shape: str, folder: Path) -> tuple[Path, Path]:
    if shape == "tiny":
        return write_text_model(folder / "text.gguf"), write_mmproj(folder / "mmproj.gguf")
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


def engines(n: int, text: Path, mmproj: Path, threads: int | None) -> list[LocalEngine]:
    per = threads or max(1, physical_cores() // n)
    out = []
    for _ in range(n):
        e = LocalEngine()
        e.load(ModelSpec(model=text, mmproj=mmproj, n_ctx=2048, threads=per))
        out.append(e)
    return out


def sequential(text: Path, mmproj: Path, paths: list[Path], sampling: SamplingParams, threads: int | None) -> float:
    (engine,) = engines(1, text, mmproj, threads)
    try:
        t0 = time.perf_counter()
        for p in paths:
            final = list(engine.chat([Message.user(PROMPT, p)], sampling))[-1]
            assert isinstance(final, Finished) and final.error is None, final
        return time.perf_counter() - t0
    finally:
        engine.close()


def parallel(n: int, text: Path, mmproj: Path, paths: list[Path], sampling: SamplingParams, threads: int | None,
             out: Path) -> float:
    pool = engines(n, text, mmproj, threads)
    task = BatchTask(PROMPT, sampling)
    try:
        summary = BatchSummary()
        t0 = time.perf_counter()
        with ResultFile(out, task.task_id) as results:
            for outcome in run_batch(pool, task, paths, results):
                summary.add(outcome)
        seconds = time.perf_counter() - t0
        assert summary.done == len(paths), summary
        return seconds
    finally:
        for e in pool:
            e.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", choices=("tiny", "medium"), default="tiny")
    ap.add_argument("--models", nargs=2, type=Path, metavar=("TEXT", "MMPROJ"), help="use these models instead")
    ap.add_argument("--images", type=int, default=64)
    ap.add_argument("--tokens", type=int, default=32, help="answer length")
    ap.add_argument("--parallel", type=int, nargs="+", default=[1, 2, 4, 8])
    ap.add_argument("--threads", type=int, default=None, help="threads per engine (default: cores // N)")
    args = ap.parse_args()
    sampling = SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=args.tokens)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        text, mmproj = args.models or models(args.shape, folder)
        paths = images(folder, args.images)
        base = sequential(text, mmproj, paths, sampling, args.threads)
        rows = [("sequential single requests", base)]
        for n in args.parallel:
            rows.append((f"batch, {n} in flight", parallel(n, text, mmproj, paths, sampling, args.threads,
                                                           folder / f"out-{n}.jsonl")))
    print(f"{args.images} images, {args.tokens}-token answers, {args.shape if not args.models else 'given'} models, "
          f"{physical_cores()} physical cores")
    print("| run | seconds | images/min | vs sequential |")
    print("|---|---|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} | {args.images / seconds * 60:.0f} | {base / seconds:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
