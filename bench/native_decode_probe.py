"""Is the last decode gap at depth Python's? A loop in C (``native_loop.c``) against the same loop in Python.

    python bench/native_decode_probe.py [--gpu] [--rounds R] [--depths 50,1024,2048,4096] [--tokens N]
                                        [--models q4,f16,wide] [--variants py_device,py_argmax,...]
                                        [--lib libvdloop.so] [--json OUT.json] [--md OUT.md]

Issue 24 wants decode at ≥ 0.97× ``llama-bench`` at every depth on the H200; the engine decodes as fast as a bare
llama-cpp-python loop (``raw_decode.py --argmax``), which is itself ~0.97× llama-bench. This asks why, in one
process and one context shaped as the engine's (one sequence, 512-token micro-batches, n_ctx 8192), per round and
depth, interleaved: the Python loop and the C loop, each picking the next token as the engine does on a GPU (its
greedy sampler chain attached with ``llama_set_sampler``: sampled on the device) and by the host argmax; the C
loop as llama-bench's ``tg`` does (a fixed token after ``llama_synchronize``); the C loop in a context of
llama-bench's size (depth + tokens); and ``llama-bench -fa 1 -p 0 -n N -d D`` itself, on the same file. Each
figure is divided by the same round's llama-bench; the table shows the median over rounds. ``--models`` picks the
decoders: the realistic one in Q4_K_M and f16 (32k vocabulary), and ``wide``, the same decoder in f16 with Gemma 3's
262,144-entry vocabulary (``bench_models.wide_vocab_f16``), where the next token's pick costs most.

``--lib`` is the C loop built against the libllama this process loads (``gpu_run.sh native`` builds it; without
``--lib`` it is built here with ``cc`` against the wheel's headers and libraries).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from shim import ensure_visiondesk  # noqa: E402

ensure_visiondesk()

import llama_cpp  # noqa: E402
import numpy as np  # noqa: E402
from bench_models import realistic_pair, small_pair, wide_vocab_f16  # noqa: E402
from depth_bench import llama_bench_tg  # noqa: E402
from engine_figures import publish, run_note  # noqa: E402
from llama_tools import build_cpu_tools, find_tools  # noqa: E402
from raw_decode import fill  # noqa: E402
from visiondesk.engine.requests import physical_cores  # noqa: E402

N_CTX = 8192  # the engine's default context
VARIANTS = ("py_device", "c_device", "py_argmax", "c_argmax", "c_sync", "c_sync_small")


def build_loop(out: Path) -> Path:
    """The C loop, built against the libllama llama-cpp-python loads here."""
    lib_dir = Path(llama_cpp.__file__).parent / "lib"
    inc = Path(llama_cpp.__file__).parent.parent / "include"
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", str(BENCH / "native_loop.c"), f"-I{inc}", f"-L{lib_dir}",
                    "-lllama", f"-Wl,-rpath,{lib_dir}", "-o", str(out)], check=True)
    return out


class Probe:
    """One model's contexts and loops."""

    def __init__(self, model: Path, lib: Path, ngl: int, threads: int, depths: list[int], tokens: int) -> None:
        self.path = model
        mparams = llama_cpp.llama_model_default_params()
        mparams.n_gpu_layers = ngl
        self.model = llama_cpp.llama_model_load_from_file(str(model).encode(), mparams)
        assert self.model, model
        self.n_vocab = llama_cpp.llama_vocab_n_tokens(llama_cpp.llama_model_get_vocab(self.model))
        self.ctx = self._context(N_CTX, threads)
        self.small = {d: self._context(d + tokens, threads) for d in depths}  # llama-bench's n_ctx
        self.chain: Any = None
        self.big = llama_cpp.llama_batch_init(512, 0, 1)
        self.one = llama_cpp.llama_batch_init(1, 0, 1)
        self.one.n_tokens = 1
        self.one.n_seq_id[0] = 1
        self.one.seq_id[0][0] = 0
        self.one.logits[0] = 1
        self.row = ctypes.c_float * self.n_vocab
        self.c = ctypes.CDLL(str(lib))
        self.c.vd_decode_loop.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int32, ctypes.c_int32,
                                          ctypes.c_int32, ctypes.c_int32, ctypes.c_int32,
                                          ctypes.POINTER(ctypes.c_int32)]
        self.c.vd_decode_loop.restype = ctypes.c_int
        self.out = (ctypes.c_int32 * 65536)()
        self.tokens = tokens

    def _context(self, n_ctx: int, threads: int) -> Any:
        cparams = llama_cpp.llama_context_default_params()
        cparams.n_ctx = n_ctx
        cparams.n_seq_max = 1
        cparams.kv_unified = False
        cparams.n_batch = 2048
        cparams.n_ubatch = 512
        cparams.n_threads = cparams.n_threads_batch = threads
        cparams.no_perf = True
        ctx = llama_cpp.llama_init_from_model(self.model, cparams)
        assert ctx
        return ctx

    def _py(self, ctx: Any, depth: int, device: bool) -> float:
        one, n = self.one, self.tokens
        tok = 1
        start = time.perf_counter()
        for i in range(n):
            one.token[0] = tok
            one.pos[0] = depth + i
            assert llama_cpp.llama_decode(ctx, one) == 0
            if device:
                tok = llama_cpp.llama_sampler_sample(self.chain, ctx, -1)
            else:
                ptr = llama_cpp.llama_get_logits_ith(ctx, -1)
                tok = int(np.frombuffer(memoryview(self.row.from_address(ctypes.addressof(ptr.contents))),
                                        dtype=np.float32).argmax())
        return n / (time.perf_counter() - start)

    def _c(self, ctx: Any, depth: int, mode: int) -> float:
        start = time.perf_counter()
        rc = self.c.vd_decode_loop(ctx, self.chain, self.n_vocab, 1, depth, self.tokens, mode, self.out)
        took = time.perf_counter() - start
        assert rc == 0, rc
        return self.tokens / took

    def measure(self, variant: str, depth: int) -> float:
        """One timed pass of ``variant`` at ``depth`` (after an untimed one: a changed graph warms up)."""
        ctx = self.small[depth] if variant == "c_sync_small" else self.ctx
        device = variant.endswith("_device")
        # a chain is set up for the device once: a new one per attachment
        sparams = llama_cpp.llama_sampler_chain_default_params()
        sparams.no_perf = True
        self.chain = llama_cpp.llama_sampler_chain_init(sparams)
        llama_cpp.llama_sampler_chain_add(self.chain, llama_cpp.llama_sampler_init_greedy())
        if device:
            llama_cpp.llama_set_sampler(ctx, 0, self.chain)
        llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(ctx), True)
        fill(ctx, self.big, depth)
        rate = 0.0
        for _ in range(2):
            llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(ctx), 0, depth, -1)
            llama_cpp.llama_sampler_reset(self.chain)
            if variant.startswith("py_"):
                rate = self._py(ctx, depth, device)
            else:
                rate = self._c(ctx, depth, {"device": 2, "argmax": 1}.get(variant.split("_")[1], 0))
        if device:
            llama_cpp.llama_set_sampler(ctx, 0, None)
        llama_cpp.llama_sampler_free(self.chain)
        return rate


def table(rows: list[dict[str, Any]], header: str, variants: list[str]) -> str:
    lines = [header, "", "| model | depth | llama-bench tok/s (median) | " + " | ".join(variants) + " |",
             "|---|---|---|" + "---|" * len(variants)]
    keys = sorted({(r["model"], r["depth"]) for r in rows}, key=lambda k: (k[0], k[1]))
    for tag, depth in keys:
        mine = [r for r in rows if (r["model"], r["depth"]) == (tag, depth)]
        cells = [f"{statistics.median(r[v] / r['llama_bench'] for r in mine):.3f}" for v in variants]
        lb = statistics.median(r["llama_bench"] for r in mine)
        lines.append(f"| {tag} | {depth} | {lb:.1f} | " + " | ".join(cells) + " |")
    for tag in sorted({r["model"] for r in rows}):
        mine = [r for r in rows if r["model"] == tag]
        every = {v: sorted(r[v] / r["llama_bench"] for r in mine) for v in variants}
        lines += ["", f"{tag}, over all round-points (÷ the same round's llama-bench): "
                  + "; ".join(f"{v} median {statistics.median(x):.3f} ({x[0]:.3f}–{x[-1]:.3f})"
                              for v, x in every.items())]
        for a, b in (("c_device", "py_device"), ("py_argmax", "py_device")):
            if a in variants and b in variants:
                x = sorted(r[a] / r[b] for r in mine)
                lines.append(f"{tag}, {a} ÷ {b}, same rounds: median {statistics.median(x):.3f} "
                             f"({x[0]:.3f}–{x[-1]:.3f}; below 1 in {sum(v < 1 for v in x)} of {len(x)}).")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gpu", action="store_true")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--depths", default="50,1024,2048,4096")
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--models", default="q4,f16", help="of q4, f16, wide")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--lib", type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--md", type=Path)
    args = ap.parse_args()
    depths = [int(d) for d in args.depths.split(",")]
    ngl = 99 if args.gpu else 0
    threads = args.threads or (physical_cores() if args.gpu else 1)
    tools = find_tools() or build_cpu_tools()
    variants = args.variants.split(",")
    pair = realistic_pair(tools["llama-quantize"], 16) if args.gpu else small_pair(tools["llama-quantize"])
    paths = {"q4": ("Q4_K_M", pair.q4), "f16": ("f16", pair.f16), "wide": ("f16, 262k vocabulary", None)}
    lib = args.lib or build_loop(BENCH / ".cache" / "libvdloop.so")
    llama_cpp.llama_backend_init()
    t_start = time.perf_counter()
    probes = {paths[m][0]: Probe(paths[m][1] or wide_vocab_f16(), lib, ngl, threads, depths, args.tokens)
              for m in args.models.split(",")}
    rows: list[dict[str, Any]] = []
    for rnd in range(args.rounds):
        for tag, probe in probes.items():
            for depth in depths:
                order = variants if rnd % 2 == 0 else variants[::-1]
                row: dict[str, Any] = {"model": tag, "depth": depth, "round": rnd}
                row["llama_bench"] = llama_bench_tg(tools["llama-bench"], probe.path, depth, args.tokens, 3, threads,
                                                    ngl)
                for v in order:
                    row[v] = probe.measure(v, depth)
                rows.append(row)
                print(f"[native] {tag} d{depth} r{rnd}: " + ", ".join(f"{k} {row[k]:.1f}" for k in
                      ("llama_bench", *variants)), flush=True)
                if args.json:
                    args.json.write_text(json.dumps({"rows": rows}, indent=1))
    header = (f"Native loop probe ({'GPU, every layer offloaded' if args.gpu else 'CPU'}), "
              f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, threads {threads}, {args.rounds} rounds, "
              f"{args.tokens} tokens per figure, llama-bench -r 3; " + run_note(t_start))
    publish(table(rows, header, variants), args.md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
