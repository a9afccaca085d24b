"""Loading: from choosing a model to the first answer being possible, VisionDesk against llama.cpp's CLIs.

    python bench/load_bench.py [--gpu] [--reps N] [--small] [--threads N] [--json OUT.json] [--md OUT.md]

The same files (``bench_models.realistic_pair``: the 1.1B decoder in Q4_K_M with the CLIP ViT-L/14-336
projector, f16; ``--small``: the small pair of ``depth_bench.py``), page cache warm (one untimed load of
each side first). Each repetition runs every case once, in an order that rotates:

* VisionDesk, text only (no projector): ``LocalEngine()`` + ``load()`` until it returns ("ready": a new
  engine process, the model, its context, the warm-up decode and, with ``threads=None`` as the app loads,
  the thread measurement), then the first token of a one-line question ("first token").
* VisionDesk, threads remembered: the text-only case on an engine given a disk cache folder (as the app
  gives it ``DataPaths.engine_cache``) in which the warm-up load stored its thread measurement, so the load
  reuses that choice instead of measuring (``worker/thread_memory.py``); the case checks that it did.
* VisionDesk with the projector loaded at load (``Tuning(lazy_projector=False)``, as before issue 24), and
  with the projector loaded on the first image (the default): ready, first token of a text question, and
  the first image answer's ``Timings.projector_load_ms`` (what the first image pays then).
* ``llama-completion -no-cnv`` (llama-cli's text path without the chat loop; llama-mtmd-cli refuses to
  start without a projector), timed from outside: ready = its ``generate: n_ctx`` log line (model and
  context loaded, warmed up, prompt tokenized), first token = its first byte on stdout.
* ``llama-mtmd-cli`` with the projector: ready = its "experimental CLI" line (model and projector loaded
  and warmed up, before it reads the image), as ``peers.mtmd_cli_ttft`` times it.

Same threads on both sides: the tools get the count the engine chose.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from shim import ensure_visiondesk  # noqa: E402

ensure_visiondesk()

from bench_models import realistic_pair, small_pair  # noqa: E402
from engine_figures import log, make_images, publish, run_note  # noqa: E402
from llama_tools import build_cpu_tools, find_tool, find_tools, timed_output, tool_env  # noqa: E402
from visiondesk.engine import Finished, Message, ModelSpec, SamplingParams, TextDelta, Tuning  # noqa: E402
from visiondesk.engine.llama import LocalEngine  # noqa: E402
from visiondesk.engine.llama.disk_cache import DiskCache  # noqa: E402
from visiondesk.engine.llama.worker.thread_memory import SAMPLES  # noqa: E402

ONE = SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=1)


def first_token_ms(eng: LocalEngine, messages: list[Message], t0: float) -> tuple[float, Finished]:
    """Ask for one token; ms from ``t0`` to the first ``TextDelta`` (or ``Finished``), and the ``Finished``."""
    first = 0.0
    fin = None
    for ev in eng.chat(messages, ONE):
        if isinstance(ev, TextDelta) and not first:
            first = time.perf_counter()
        elif isinstance(ev, Finished):
            fin = ev
    assert fin is not None and fin.error is None, fin
    return ((first or time.perf_counter()) - t0) * 1e3, fin


def engine_case(model: Path, mmproj: Path | None, lazy: bool, threads: int | None, ngl: int,
                image: Path | None, cache: DiskCache | None = None, remembered: bool = False) -> dict[str, Any]:
    """Choose the model in a new engine: ready, first text token, and what the first image then pays.

    ``cache``: the engine's disk cache folder; ``remembered``: the load must have reused a thread choice from it.
    """
    t0 = time.perf_counter()
    eng = LocalEngine(cache=cache)
    try:
        res = eng.load(ModelSpec(model=model, mmproj=mmproj, threads=threads, gpu_layers=ngl,
                                 tuning=Tuning(lazy_projector=lazy)))
        ready = (time.perf_counter() - t0) * 1e3
        if remembered and not res.threads_note.startswith("remembered"):
            raise RuntimeError(f"the threads were not remembered: {res.threads_note}")
        first, _ = first_token_ms(eng, [Message.user("Hi")], t0)
        out: dict[str, Any] = {"ready_ms": ready, "first_token_ms": first, "threads": res.threads,
                               "engine_load_ms": res.load_ms, "threads_measure_ms": res.threads_measure_ms,
                               "threads_note": res.threads_note}
        if image is not None:
            t1 = time.perf_counter()
            ttft, fin = first_token_ms(eng, [Message.user("What is this?", image)], t1)
            out["first_image_ttft_ms"] = ttft
            out["projector_load_ms"] = fin.timings.projector_load_ms
        return out
    finally:
        eng.close()


def watch(cmd: list[str], env: dict[str, str], marker: str) -> dict[str, float]:
    """Run ``cmd``: ms from start to the line containing ``marker`` (either stream) and to its first stdout byte."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
    seen = bytearray()
    ready = first = 0.0
    for stream, chunk, now in timed_output(p):
        seen += chunk
        if not ready and marker.encode() in seen:
            ready = now
        if stream == "out" and ready and not first:
            first = now
    rc = p.wait()
    if rc != 0 or not ready:
        tail = seen.decode(errors="replace")[-2000:]
        raise RuntimeError(f"{Path(cmd[0]).name}: rc={rc}, ready seen={bool(ready)}:\n{tail}")
    return {"ready_ms": (ready - t0) * 1e3, "first_token_ms": ((first or time.perf_counter()) - t0) * 1e3}


def completion_case(tool: Path, model: Path, threads: int, ngl: int) -> dict[str, float]:
    """llama-completion: the model, a one-word prompt, one token."""
    cmd = [str(tool), "-m", str(model), "-p", "Hi", "-n", "1", "-no-cnv", "--no-display-prompt", "--temp", "0",
           "-c", "4096", "-t", str(threads), "-ngl", str(ngl)]
    return watch(cmd, tool_env(tool), "generate: n_ctx")


def mtmd_case(tool: Path, model: Path, mmproj: Path, image: Path, threads: int, ngl: int) -> dict[str, float]:
    """llama-mtmd-cli: model and projector; ready at its "experimental CLI" line, then one image answer."""
    cmd = [str(tool), "-m", str(model), "--mmproj", str(mmproj), "--image", str(image), "-p", "What is this?",
           "-n", "1", "--temp", "0", "-c", "4096", "-t", str(threads), "-ngl", str(ngl)]
    return watch(cmd, tool_env(tool), "experimental CLI")


def table(rows: list[dict[str, Any]], header: str) -> str:
    """Medians per case, and the ratios that answer the question."""
    def med(case: str, key: str) -> float:
        xs = [r[case][key] for r in rows if key in r.get(case, {})]
        return statistics.median(xs) if xs else float("nan")

    def cell(case: str, key: str) -> str:
        xs = [r[case][key] for r in rows if key in r.get(case, {})]
        return f"{statistics.median(xs):,.0f} ({', '.join(f'{x:,.0f}' for x in xs)})" if xs else "—"

    lines = [header, "", "| case | ready, ms (median; reps) | first token, ms | first image: projector load, ms |",
             "|---|---|---|---|"]
    names = {"engine_text": "VisionDesk, model only", "engine_remembered": "VisionDesk, threads remembered",
             "engine_eager": "VisionDesk, projector loaded at load",
             "engine_lazy": "VisionDesk, projector on the first image (default)",
             "completion": "llama-completion (model only)", "mtmd": "llama-mtmd-cli (model + projector)"}
    for case, name in names.items():
        lines.append(f"| {name} | {cell(case, 'ready_ms')} | {cell(case, 'first_token_ms')} | "
                     f"{cell(case, 'projector_load_ms')} |")
    lines += ["", "| ratio (medians) | value |", "|---|---|",
              f"| model only: VisionDesk ready ÷ llama-completion ready | "
              f"{med('engine_text', 'ready_ms') / med('completion', 'ready_ms'):.2f} |",
              f"| model only: VisionDesk first token ÷ llama-completion first token | "
              f"{med('engine_text', 'first_token_ms') / med('completion', 'first_token_ms'):.2f} |",
              f"| with projector at load: VisionDesk ready ÷ llama-mtmd-cli ready | "
              f"{med('engine_eager', 'ready_ms') / med('mtmd', 'ready_ms'):.2f} |",
              f"| lazy projector: VisionDesk ready ÷ llama-mtmd-cli ready | "
              f"{med('engine_lazy', 'ready_ms') / med('mtmd', 'ready_ms'):.2f} |",
              f"| lazy ÷ eager ready (what a text-only conversation saves) | "
              f"{med('engine_lazy', 'ready_ms') / med('engine_eager', 'ready_ms'):.2f} |",
              f"| threads remembered ÷ measured at load, ready (model only) | "
              f"{med('engine_remembered', 'ready_ms') / med('engine_text', 'ready_ms'):.2f} |",
              f"| threads remembered: VisionDesk ready ÷ llama-completion ready | "
              f"{med('engine_remembered', 'ready_ms') / med('completion', 'ready_ms'):.2f} |",
              "", f"Thread measurement inside the load (model only, `LoadResult.threads_measure_ms`): "
              f"{cell('engine_text', 'threads_measure_ms')} ms; threads remembered: "
              f"{cell('engine_remembered', 'threads_measure_ms')} ms."]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gpu", action="store_true", help="every layer offloaded")
    ap.add_argument("--small", action="store_true", help="the small pair instead of the realistic one")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None, help="default: chosen at load, as the app does")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--md", type=Path)
    args = ap.parse_args()
    ngl = 99 if args.gpu else 0
    tools = find_tools() or build_cpu_tools()
    completion = find_tool("llama-completion")
    models = small_pair(tools["llama-quantize"]) if args.small else realistic_pair(tools["llama-quantize"], 16)
    image = make_images(BENCH / ".cache" / "images", 1)[0]
    # On the GPU nothing is measured (so nothing remembered); with --threads nothing either.
    remember = args.threads is None and not args.gpu
    cache_dir = tempfile.TemporaryDirectory(prefix="vd-load-bench-")  # removed when the script exits
    cache = DiskCache(Path(cache_dir.name), 64 * 1024**2) if remember else None
    # The page cache, and the threads (measured, and stored in ``cache`` for the "threads remembered" case).
    warm = engine_case(models.q4, models.mmproj, False, args.threads, ngl, None, cache)
    for _ in range(SAMPLES - 1 if remember else 0):  # a choice is remembered after SAMPLES measuring loads
        engine_case(models.q4, None, False, args.threads, ngl, None, cache)
    threads = args.threads or int(warm["threads"])
    log(f"warm-up load: {warm}; tools run with -t {threads}")
    cases = {
        "engine_text": lambda: engine_case(models.q4, None, True, args.threads, ngl, None),
        **({"engine_remembered": lambda: engine_case(models.q4, None, True, None, ngl, None, cache, True)}
           if remember else {}),
        "engine_eager": lambda: engine_case(models.q4, models.mmproj, False, args.threads, ngl, image),
        "engine_lazy": lambda: engine_case(models.q4, models.mmproj, True, args.threads, ngl, image),
        "mtmd": lambda: mtmd_case(tools["llama-mtmd-cli"], models.q4, models.mmproj, image, threads, ngl),
    }
    if completion is not None:
        cases["completion"] = lambda: completion_case(completion, models.q4, threads, ngl)
    else:
        log("llama-completion not found: no text-only tool row")
    t_start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    names = list(cases)
    for r in range(args.reps):
        row: dict[str, Any] = {}
        for name in names[r % len(names):] + names[:r % len(names)]:
            row[name] = cases[name]()
            log(f"rep {r + 1} {name}: {row[name]}")
        rows.append(row)
        if args.json:
            args.json.write_text(json.dumps({"rows": rows}, indent=1))
    header = (f"Load benchmark ({'GPU, every layer offloaded' if args.gpu else 'CPU'}), "
              f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: `{models.q4.name}` + `{models.mmproj.name}`, "
              f"threads {threads}, {args.reps} repetitions (order rotating), page cache warm; " + run_note(t_start))
    md = table(rows, header)
    publish(md, args.md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
