"""VisionDesk engine benchmark: one command, a Markdown table.

    python bench/run_engine_bench.py [--quick] [--out bench/RESULTS.md] [--threads N]

It builds (once, cached in ``bench/.cache``) llama.cpp's ``llama-bench``/``llama-mtmd-cli``/
``llama-quantize`` from the llama.cpp that llama-cpp-python vendors, generates (once, cached) the
realistic random-weight models (see ``bench/bench_models.py``), then measures the engine against
``llama-bench``, ``llama-mtmd-cli`` and llama-cpp-python's ``create_chat_completion`` +
``MTMDChatHandler``, and writes (or replaces) this machine's section of ``--out``. How each figure is
defined is in ``bench/README.md`` and repeated under each table. Never run by the test suite.

On a machine where llama-cpp-python offloads to a GPU everything runs with all layers offloaded
(``-ngl 99`` / ``gpu_layers=99``) and the forced-out-of-memory check runs at the end. ``--cpu`` hides
the GPU (``CUDA_VISIBLE_DEVICES=``, for this process and every one it starts) and runs the CPU
benchmark there: how the CPU run was repeated on the GPU host's processor.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from shim import ensure_visiondesk  # noqa: E402

ensure_visiondesk()

from bench_models import bench_models, tiny_models  # noqa: E402
from engine_figures import (  # noqa: E402
    Q1,
    Q2,
    RAW_TEMPLATE,
    engine_close,
    engine_load,
    engine_request,
    fresh_engine_rounds,
    image_figures,
    log,
    make_images,
    sampling_ab,
    stream_figures,
    text_figures,
    word_prompt,
)
from llama_tools import build_cpu_tools, find_tools  # noqa: E402
from peers import LlamaCppPythonPeer, llama_bench, mtmd_cli_ttft  # noqa: E402
from visiondesk.engine import Message  # noqa: E402

RESULTS: dict[str, Any] = {}


# ------------------------------------------------------------------------------------------------- peer


def peer_figures(peer: LlamaCppPythonPeer, reps: int, images: list[Path], n_stream: int,
                 vocab_words: bool, answer_tokens: int, stream_cap_s: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    u = peer.user
    peer.chat([u("Hello there.")], 8, stream=True)
    out["decode"] = [peer.chat([u(f"Tell me a long story number {i}. Count from 1 to 300: 1, 2, 3,")], 128,
                               stream=True) for i in range(reps)]
    out["prompt"] = [peer.chat([u(word_prompt(505, 200 + i, vocab_words))], 1, stream=False)
                     for i in range(reps)]
    if images:
        peer.chat([u(Q1, images[0])], answer_tokens, stream=True)  # warm-up
        out["turns"] = [peer.image_turns(img, Q1, Q2, answer_tokens) for img in images[1:]]
    if n_stream:
        out.update(peer_stream(peer, n_stream, reps, stream_cap_s))
    log(f"peer: decode {[round(r['decode_tok_s'], 1) for r in out['decode']]} prompt "
        f"{[round(r['prompt_tok_s'], 1) for r in out['prompt']]} turns "
        f"{[(round(a['ttft_ms']), round(b['ttft_ms'])) for a, b in out.get('turns', [])]}")
    return out


def peer_stream(peer: LlamaCppPythonPeer, n_tokens: int, reps: int, cap_s: float) -> dict[str, Any]:
    msg = [peer.user("Write a very long essay about the sea.")]
    s, ns = [], []
    for _ in range(reps):
        s.append(peer.chat(msg, n_tokens, stream=True, deadline_s=cap_s))
        ns.append(peer.chat(msg, n_tokens, stream=False))
    log(f"peer stream: {[round(r['decode_tok_s'], 1) for r in s]} ({[r['tokens'] for r in s]} tokens) "
        f"not streamed native {[round(r['decode_tok_s_native'], 1) for r in ns]}")
    return {"streamed": s, "not_streamed": ns}


# --------------------------------------------------------------------------------------------- the runs


def hardware(hide_gpu: bool = False) -> dict[str, str]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    gpu = ""
    try:
        gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version",
                              "--format=csv,noheader"], capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    info = {"cpu": f"{cpu}, {os.cpu_count()} logical CPUs", "gpu": gpu}
    if hide_gpu and gpu:
        info.update(gpu="", gpu_hidden=gpu)
    return info


def commit() -> str:
    if os.environ.get("VD_COMMIT"):
        return os.environ["VD_COMMIT"]
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def save(path: Path) -> None:
    def clean(o: Any) -> Any:
        if isinstance(o, dict):
            return {k: (str(v)[:60] if k == "text" else clean(v)) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [clean(v) for v in o]
        if isinstance(o, Path):
            return str(o)
        return o

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(clean(RESULTS), indent=1, default=str))


def step(name: str, fn: Any, *a: Any, **kw: Any) -> Any:
    """Run one part; a failure is recorded (and reported in the table), the rest goes on."""
    t = time.perf_counter()
    try:
        r = fn(*a, **kw)
        RESULTS.setdefault("step_s", {})[name] = round(time.perf_counter() - t, 1)
        return r
    except Exception as e:  # noqa: BLE001 - recorded and shown
        log(f"{name} FAILED: {e!r}")
        RESULTS.setdefault("errors", {})[name] = "".join(traceback.format_exception_only(e)).strip()[-800:]
        traceback.print_exc()
        return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (CPU: ~10-15 min in all)")
    ap.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    ap.add_argument("--json", type=Path, default=None, help="raw figures (default bench/out/<label>.json)")
    ap.add_argument("--threads", type=int, default=None, help="threads for everything (default: physical cores)")
    ap.add_argument("--label", default=None, help="section name in --out (default: CPU or GPU)")
    ap.add_argument("--no-peer", action="store_true", help="skip llama-cpp-python")
    ap.add_argument("--no-gemma", action="store_true", help="skip Gemma 3 270M")
    ap.add_argument("--no-vlm", action="store_true",
                    help="skip the VLM and CJK figures (Gemma only: a second call within a device's time limit)")
    ap.add_argument("--no-ab", action="store_true", help="skip the on-device sampling A/B (run on a GPU)")
    ap.add_argument("--ab", action="store_true", help="run the on-device sampling A/B on the CPU too")
    ap.add_argument("--no-oom", action="store_true", help="skip the forced out-of-memory check (GPU)")
    ap.add_argument("--stream-tokens", type=int, default=None,
                    help="answer length for streamed vs not streamed (default 1024; 256 with --quick on a CPU)")
    ap.add_argument("--rounds", type=int, default=None,
                    help="fresh-engine rounds (default: 5 on a GPU; on a CPU 9 with --quick, 11 without)")
    ap.add_argument("--gemma-rounds", type=int, default=None,
                    help="fresh-engine rounds for Gemma 3 270M (default: on a CPU three times --rounds)")
    ap.add_argument("--stream-pairs", type=int, default=None,
                    help="streamed/not-streamed pairs per model (default 3 on a GPU, 5 on a CPU)")
    ap.add_argument("--cpu", action="store_true", help="hide the GPU and run the CPU benchmark")
    ap.add_argument("--tiny", action="store_true", help="smoke-test the harness on tiny models (figures meaningless)")
    args = ap.parse_args()
    if args.cpu:  # before llama.cpp initialises its CUDA backend, here and in every child
        os.environ["CUDA_VISIBLE_DEVICES"] = ""

    import llama_cpp
    from visiondesk.engine.requests import physical_cores

    gpu = bool(llama_cpp.llama_supports_gpu_offload()) and not args.cpu
    threads = args.threads or physical_cores()
    ngl = 99 if gpu else 0
    label = args.label or ("GPU" if gpu else "CPU") + ("-tiny" if args.tiny else "")
    reps = (3 if args.quick else 5) if gpu else (1 if args.quick else 2)
    # Image question pairs (engine turn 1 and llama-mtmd-cli, back to back): on a CPU one pair takes ~45 s
    # and its ratio moves by ±10-20% with the machine's speed state, so the CPU takes three (five without
    # --quick); one warm-up image before them.
    image_pairs = reps if gpu else (3 if args.quick else 5)
    n_img = image_pairs + 1
    answer = 16
    peer_cap = 40.0 if gpu else (45.0 if args.quick else 90.0)
    if args.stream_tokens is None:
        args.stream_tokens = 256 if args.quick and not gpu else 1024
    jpath = args.json or BENCH / "out" / f"{label.lower()}.json"
    RESULTS.update(label=label, date=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                   hardware=hardware(hide_gpu=args.cpu), commit=commit(), threads=threads, ngl=ngl, reps=reps,
                   quick=args.quick, llama_cpp_python=llama_cpp.__version__, gpu=gpu,
                   stream_tokens=args.stream_tokens, loadavg_start=os.getloadavg())
    log(f"{label}: threads={threads} ngl={ngl} reps={reps}")
    t_all = time.perf_counter()

    tools = find_tools() or build_cpu_tools()
    RESULTS["tools"] = {k: str(v) for k, v in tools.items()}
    m = tiny_models() if args.tiny else bench_models(tools["llama-quantize"], threads=os.cpu_count() or 2,
                                                     with_gemma=not args.no_gemma)
    RESULTS["models"] = {k: (str(v) if v else None) for k, v in vars(m).items()}
    RESULTS["model_sizes_mib"] = {k: round(v.stat().st_size / 2**20) for k, v in vars(m).items() if v}
    images = make_images(BENCH / ".cache" / "images", n_img)
    bench_r = 3 if gpu or not args.quick else 2
    # Pairs of one streamed and one not-streamed request (~50 s each on the 2-core VM, where one pair's
    # ratio moves by ±5% with the machine's speed state: five pairs there, so the median is one pair's).
    stream_reps = args.stream_pairs or (3 if gpu else 5)
    # Fresh-engine rounds (~85 s each on the CPU for the 1.1B model, ~20 s for Gemma). On the shared CPU VM
    # a round's ratio spreads over ±20% (the machine's speed state, one process's draw), so the CPU takes
    # more rounds than the GPU, whose rounds agree within a few percent. On the CPU each round also takes
    # two prompt/pp512 pairs (a 512-token prompt costs seconds there, a round's decode tens of seconds).
    rounds = args.rounds or (5 if gpu else 9 if args.quick else 11)
    # Gemma's rounds are cheap (~20 s on the VM) and its margin is thin: a small model's tokens are short,
    # so the engine's own per-token work (picking the token, which llama-bench never does) weighs more.
    gemma_rounds = args.gemma_rounds or (rounds if gpu else 3 * rounds)

    if not args.no_vlm:  # sections 1 and 2: the realistic VLM and the CJK model
        # 1. llama.cpp's own tools.
        RESULTS["llama_bench"] = step("llama-bench vlm", llama_bench, tools["llama-bench"], m.model, threads, ngl,
                                      5 if gpu else bench_r)
        log(f"llama-bench: {RESULTS['llama_bench']}")
        save(jpath)

        # 2. The engine on the realistic VLM.
        loaded = step("engine load vlm", engine_load, m.model, m.mmproj, threads, ngl)
        if loaded:
            eng, res = loaded
            RESULTS["engine_load"] = {k: str(v) for k, v in vars(res).items()}
            RESULTS["engine_text"] = step("engine text", text_figures, eng, reps, "vlm")
            def cli(img: Path) -> dict[str, Any] | None:  # a step each: a failed run is recorded, its pair skipped
                return step(f"mtmd-cli {img.stem}", mtmd_cli_ttft, tools["llama-mtmd-cli"], m.model, m.mmproj, img,
                            Q1, threads, ngl, n_predict=48 if gpu else 8)

            RESULTS["engine_image"] = step("engine image", image_figures, eng, images, answer, cli)
            RESULTS["mtmd_cli"] = [c for c in (RESULTS["engine_image"] or {}).get("cli", []) if c]
            log(f"mtmd-cli: {[round(r['ttft_ms']) for r in RESULTS['mtmd_cli']]}")
            RESULTS["engine_stream"] = step("engine stream", stream_figures, eng, args.stream_tokens,
                                            stream_reps, "vlm")
            step("engine close", engine_close, eng)
            save(jpath)
            et = RESULTS.get("engine_text")
            if et:  # the judged decode and prompt figures: a fresh engine and llama-bench in every round
                RESULTS["rounds"] = step("rounds vlm", fresh_engine_rounds, tools["llama-bench"], m.model, m.mmproj,
                                         threads, ngl, rounds, et["decode"][0]["prompt_tokens"], et["prompt_words"],
                                         per_round=5 if gpu else 1, prompt_pairs=1 if gpu else 2)
                save(jpath)
        if (gpu or args.ab) and not args.no_ab:
            RESULTS["sampling_ab"] = step("sampling A/B", sampling_ab, m.model, threads, ngl, reps)
            save(jpath)
        loaded = step("engine load cjk", engine_load, m.cjk_model, None, threads, ngl)
        if loaded:
            eng, _ = loaded
            RESULTS["engine_cjk_stream"] = step("engine cjk stream", stream_figures, eng, args.stream_tokens,
                                                stream_reps, "cjk")
            step("engine close", engine_close, eng)
            save(jpath)

        # llama-bench once more, so that drift over the run shows (the ratios use the mean of both runs).
        RESULTS["llama_bench_after"] = step("llama-bench vlm after", llama_bench, tools["llama-bench"], m.model,
                                            threads, ngl, 5 if gpu else bench_r)
        log(f"llama-bench after: {RESULTS['llama_bench_after']}")
        save(jpath)

    # 3. Gemma 3 270M (a real text model): decode/prompt vs llama-bench.
    if m.gemma:
        RESULTS["gemma_llama_bench"] = step("llama-bench gemma", llama_bench, tools["llama-bench"], m.gemma,
                                            threads, ngl, 5 if gpu else bench_r)
        loaded = step("engine load gemma", engine_load, m.gemma, None, threads, ngl, chat_template=RAW_TEMPLATE)
        if loaded:
            eng, _ = loaded
            RESULTS["gemma_engine"] = step("engine gemma", text_figures, eng, reps, "gemma")
            step("engine close", engine_close, eng)
            ge = RESULTS.get("gemma_engine")
            if ge:
                RESULTS["gemma_rounds"] = step("rounds gemma", fresh_engine_rounds, tools["llama-bench"], m.gemma,
                                               None, threads, ngl, gemma_rounds, ge["decode"][0]["prompt_tokens"],
                                               ge["prompt_words"], RAW_TEMPLATE, "gemma",
                                               per_round=5 if gpu else 1, prompt_pairs=1 if gpu else 2)
        save(jpath)

    # 4. GPU: a context that cannot fit must end on fewer layers or the CPU, with the reason.
    if gpu and not args.no_oom:
        RESULTS["oom"] = step("oom", oom_check, m.model, m.mmproj, threads)
        save(jpath)

    # 5. llama-cpp-python, the peer (its own process: see peer_run.py); last, as the slowest part.
    if not args.no_peer:
        step("peer", run_peer, dict(model=str(m.model), mmproj=str(m.mmproj), cjk_model=str(m.cjk_model),
                                    threads=threads, ngl=ngl, reps=reps, images=[str(i) for i in images[:reps + 1]],
                                    answer=answer, cap=peer_cap, stream_tokens=args.stream_tokens,
                                    stream_reps=1))
        save(jpath)

    RESULTS["total_s"] = round(time.perf_counter() - t_all)
    RESULTS["loadavg_end"] = os.getloadavg()
    save(jpath)
    from report import write_section

    write_section(RESULTS, args.out)
    log(f"done in {RESULTS['total_s']} s; wrote {args.out} and {jpath}")
    return 0


def run_peer(a: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "peer.json"
        subprocess.run([sys.executable, str(BENCH / "peer_run.py"), json.dumps(a), str(out)], check=False,
                       timeout=1800)
        res = json.loads(out.read_text()) if out.is_file() else {"error": "the peer process died (no output)"}
    if "error" in res:
        RESULTS.setdefault("errors", {})["peer"] = res.pop("error")
    RESULTS.update(res)


def oom_check(model: Path, mmproj: Path, threads: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    n_ctx = 4_194_304  # ~94 GB of f16 KV for this decoder: more than the GPU has, less than the host
    t = time.perf_counter()
    try:
        eng, res = engine_load(model, mmproj, threads, "auto", n_ctx=n_ctx)
    except Exception as e:  # noqa: BLE001 - a clean, typed refusal is an acceptable outcome too
        out.update(n_ctx=n_ctx, loaded=False, error=f"{type(e).__name__}: {e}", load_s=time.perf_counter() - t)
        return out
    out.update(n_ctx=n_ctx, loaded=True, backend=res.backend, gpu_layers=res.gpu_layers, n_layers=res.n_layers,
               n_ctx_loaded=res.n_ctx, fallback_reason=res.fallback_reason, load_s=round(time.perf_counter() - t, 1))
    try:
        r = engine_request(eng, [Message.user("Hello, are you there?")], 16)
        out.update(answered=True, completion_tokens=r["completion_tokens"], answer_backend=r["backend"],
                   answer_gpu_layers=r["gpu_layers"])
    except Exception as e:  # noqa: BLE001
        out.update(answered=False, error=f"{type(e).__name__}: {e}")
    engine_close(eng)
    return out


if __name__ == "__main__":
    sys.exit(main())
