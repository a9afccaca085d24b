"""Follow-up after an app restart: its time to first token against the first turn's, in one interleaved run.

    python3 bench/restart_followup.py [--reps 3] [--threads 2] [--answer 64] [--json OUT.json] [--out OUT.md]
    python3 bench/restart_followup.py --gpu [--reps 5]   # on the device: bash bench/gpu_run.sh restart

Each repetition is one conversation about a new image (other pixels, so nothing cached helps the first
turn), in three steps one after the other:
1. an engine loads the model and answers the first turn (TTFT: encoding plus the whole prompt), saves the
   conversation's state as the app does when it closes, and is closed;
2. a new engine on the same data folder loads the model, restores the state as the app does when the
   conversation is opened again, and answers a follow-up (TTFT of the new turn only);
3. the same follow-up after a restart without the disk cache (a cold restart, as before), for comparison.
Model loads are outside every timing (the app loads at start-up, before any of this); the restore is timed
on its own (it runs when the conversation is opened, while the user reads and types). TTFT is the
engine's own (``Finished.timings.ttft_ms``: from the call to the first text). Target: the follow-up's
TTFT <= 0.25x the first turn's (issue 24).

CPU: the mid-size generated pair of ``remote_bench`` (a 512-wide 8-layer decoder, 256-token images).
GPU (``--gpu``): the realistic pair of ``bench_models`` (the 1.1B decoder in Q4_K_M, CLIP ViT-L/14-336
in f16, 576-token images), with every layer on the GPU; llama.cpp's CUDA build must be importable
(``source .gpu/build-cuda.sh``, which ``bench/gpu_run.sh restart`` does).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

import shim  # noqa: E402

shim.ensure_visiondesk()

from visiondesk.engine import Finished, Message, ModelSpec, SamplingParams, TextDelta  # noqa: E402
from visiondesk.engine.llama import LocalEngine  # noqa: E402
from visiondesk.engine.llama.disk_cache import DiskCache  # noqa: E402

FIRST_QUESTION = "Describe this picture in detail: the objects, their colours and where they are."
FOLLOW_UP = "Which colour stands out most?"
SECOND_FOLLOW_UP = "Which one stands out least?"


def log(msg: str) -> None:
    print(f"[restart] {msg}", file=sys.stderr, flush=True)


def cpu_models(folder: Path) -> tuple[Path, Path]:
    """The mid-size pair (written once into ``folder``)."""
    from remote_bench import MID_TEXT, MID_VISION

    from tests.model_factory import write_mmproj, write_text_model

    model, mmproj = folder / "mid-text.gguf", folder / "mid-mmproj.gguf"
    if not model.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        write_text_model(model, shape=MID_TEXT)
        write_mmproj(mmproj, shape=MID_VISION, projection_dim=MID_TEXT.n_embd)
    return model, mmproj


def gpu_models() -> tuple[Path, Path]:
    """The realistic pair of the GPU run (quantized once; cached under bench/.cache/models)."""
    import bench_models

    quantize = shutil.which("llama-quantize")
    if quantize is None:
        raise SystemExit("llama-quantize is not on PATH: source .gpu/build-cuda.sh first")
    return bench_models._text_model("llama1b-chatml", Path(quantize), os.cpu_count() or 2), bench_models.mmproj()


def noise_image(path: Path, seed: int, size: int) -> Path:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (12, 12, 3), dtype=np.uint8)
    Image.fromarray(small).resize((size, size), Image.Resampling.BICUBIC).save(path)
    return path


def ttft(engine: LocalEngine, messages: list[Message], sampling: SamplingParams) -> tuple[Finished, str]:
    text: list[str] = []
    final = None
    for ev in engine.chat(messages, sampling):
        if isinstance(ev, Finished):
            final = ev
        elif isinstance(ev, TextDelta):
            text.append(ev.text)
    assert final is not None and final.error is None, final
    return final, "".join(text)


def one_round(i: int, spec: ModelSpec, image: Path, data: Path, answer: int) -> dict[str, Any]:
    cache = DiskCache(data / "cache", 8 * 1024**3)
    first_sampling = SamplingParams(temperature=0, max_tokens=answer, repeat_penalty=1.0)
    follow_sampling = SamplingParams(temperature=0, max_tokens=8, repeat_penalty=1.0)
    q1 = Message.user(FIRST_QUESTION, image)
    conversation = f"conversation-{i}"
    with LocalEngine(log_dir=data / "logs", cache=cache) as engine:
        loaded = engine.load(spec)
        first, a1 = ttft(engine, [q1], first_sampling)
        t = time.perf_counter()
        saved = engine.save_state(conversation)  # as the app does on quitting
        save_ms = (time.perf_counter() - t) * 1000
        follow = [q1, Message.assistant(a1), Message.user(FOLLOW_UP)]
        same_session, _ = ttft(engine, follow, follow_sampling)  # the reference: no restart at all
    with LocalEngine(log_dir=data / "logs", cache=cache) as engine:
        engine.load(spec)
        t = time.perf_counter()
        restored = engine.restore_state(conversation)  # as the app does on opening the conversation
        restore_ms = (time.perf_counter() - t) * 1000
        after, a2 = ttft(engine, follow, follow_sampling)
        # A second follow-up in the restarted process: shows any first-use cost left in the first one.
        second, _ = ttft(engine, [*follow, Message.assistant(a2), Message.user(SECOND_FOLLOW_UP)], follow_sampling)
    assert restored == saved > 0, (saved, restored)
    assert after.usage.images_encoded == 0, after.usage
    with LocalEngine(log_dir=data / "logs") as engine:  # no disk cache: the restart as it was
        engine.load(spec)
        cold, _ = ttft(engine, follow, follow_sampling)
    row = {"first_ttft_ms": first.timings.ttft_ms, "first_encode_ms": first.timings.encode_ms,
           "first_prompt_tokens": first.usage.prompt_tokens, "first_answer_tokens": first.usage.completion_tokens,
           "save_ms": save_ms, "state_mib": cache.usage() / 2**20, "restore_ms": restore_ms,
           "same_session_followup_ttft_ms": same_session.timings.ttft_ms,
           "restart_followup_ttft_ms": after.timings.ttft_ms,
           "restart_followup_evaluated": after.usage.prompt_tokens_evaluated,
           "restart_followup_prompt_tokens": after.usage.prompt_tokens,
           "restart_second_followup_ttft_ms": second.timings.ttft_ms,
           "cold_restart_followup_ttft_ms": cold.timings.ttft_ms, "backend": loaded.backend,
           "gpu_layers": loaded.gpu_layers}
    row["ratio"] = row["restart_followup_ttft_ms"] / row["first_ttft_ms"]
    log(f"round {i}: first {row['first_ttft_ms']:.0f} ms, same session {row['same_session_followup_ttft_ms']:.1f} ms, "
        f"after restart {row['restart_followup_ttft_ms']:.1f} ms (ratio {row['ratio']:.3f}; restore {restore_ms:.0f} "
        f"ms; 2nd {row['restart_second_followup_ttft_ms']:.1f} ms), "
        f"cold restart {row['cold_restart_followup_ttft_ms']:.0f} ms")
    return row


def table(label: str, rows: list[dict[str, Any]], command: str, shape: str) -> str:
    def med(key: str) -> float:
        return statistics.median(r[key] for r in rows)

    def line(what: str, key: str, note: str = "") -> str:
        ratio = statistics.median(r[key] / r["first_ttft_ms"] for r in rows)
        return f"| {what} | {med(key):.1f} ms | {ratio:.3f} | {note} |"

    when = f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC"
    ran_on = f"ran on {rows[0]['backend']}, {rows[0]['gpu_layers']} GPU layers"
    tokens = (f"{med('restart_followup_evaluated'):.0f} of {med('restart_followup_prompt_tokens'):.0f} tokens read; "
              f"restore {med('restore_ms'):.0f} ms from {med('state_mib'):.1f} MiB on disk (when the conversation "
              f"is opened); save {med('save_ms'):.0f} ms (on quitting)")
    return "\n".join([
        f"### Follow-up after an app restart ({label}, {when})", "",
        f"`{command}`; {shape} ({ran_on}); {len(rows)} rounds after a warm-up round, each: first turn, then the "
        "steps below in this order. Medians of the rounds; ratio = TTFT / the same round's first-turn TTFT, median "
        f"of the rounds (max of the target row: {max(r['ratio'] for r in rows):.3f}). Target: follow-up after a "
        "restart <= 0.25.", "",
        "| time to first token | median | ratio to the first turn | |", "|---|---|---|---|",
        line("first turn (new image: encode + whole prompt)", "first_ttft_ms",
             f"encode {med('first_encode_ms'):.0f} ms; {med('first_prompt_tokens'):.0f} prompt tokens"),
        line("follow-up in the same session (no restart)", "same_session_followup_ttft_ms"),
        line("**follow-up after a restart, state restored**", "restart_followup_ttft_ms", tokens),
        line("second follow-up after that restart", "restart_second_followup_ttft_ms"),
        line("follow-up after a restart without the disk cache (before)", "cold_restart_followup_ttft_ms"), ""])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gpu", action="store_true", help="the realistic pair, every layer on the GPU")
    ap.add_argument("--reps", type=int, default=None, help="rounds (default: 5 on the GPU, 3 on the CPU)")
    ap.add_argument("--threads", type=int, default=None,
                    help="CPU threads (default: 1 on the CPU, steadier on a shared machine; auto on the GPU)")
    ap.add_argument("--answer", type=int, default=None, help="first answer's tokens (default: 256 GPU, 64 CPU)")
    ap.add_argument("--tiny", action="store_true", help="smoke-test on the tests' tiny pair (figures meaningless)")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=None, help="write the markdown section here")
    args = ap.parse_args()
    reps = args.reps or (5 if args.gpu else 3)
    answer = args.answer or (256 if args.gpu else 64)
    work = Path(tempfile.mkdtemp(prefix="vd-restart-"))
    if args.tiny:
        from tests.model_factory import write_test_models

        tiny = write_test_models(work / "models")
        spec = ModelSpec(model=tiny.model, mmproj=tiny.mmproj, n_ctx=4096, gpu_layers="auto" if args.gpu else 0,
                         threads=args.threads or 1)
        size, shape = 64, "the tests' tiny pair (16 image tokens): a smoke test, figures meaningless"
    elif args.gpu:
        model, mmproj = gpu_models()
        spec = ModelSpec(model=model, mmproj=mmproj, n_ctx=4096, gpu_layers="auto", threads=args.threads)
        size, shape = 336, "1.1B llama decoder Q4_K_M + CLIP ViT-L/14-336 f16 (576 image tokens), all layers on the GPU"
    else:
        model, mmproj = cpu_models(BENCH / ".cache" / "restart")
        spec = ModelSpec(model=model, mmproj=mmproj, n_ctx=4096, gpu_layers=0, threads=args.threads or 1)
        size, shape = 224, (f"mid-size generated pair (512-wide 8-layer decoder f32, 256-token images), CPU, "
                            f"threads={spec.threads}")
    log(f"{'GPU' if args.gpu else 'CPU'}: {reps} rounds, {answer}-token first answers, work in {work}")
    rows = []
    try:
        for i in range(reps + 1):  # round 0 warms the machine up (page cache, CUDA kernels) and is not counted
            image = noise_image(work / f"image{i}.png", 1000 + i, size)
            row = one_round(i, spec, image, work / f"data{i}", answer)
            if i:
                rows.append(row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    command = "python3 bench/restart_followup.py" + " ".join([""] + sys.argv[1:])
    section = table("GPU" if args.gpu else "CPU", rows, command, shape)
    print(section)
    if args.out:
        args.out.write_text(section)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "spec": str(spec), "loadavg": os.getloadavg()}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
