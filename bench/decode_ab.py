"""Decode speed of this engine against an earlier checkout's, interleaved, with llama-bench in the same rounds.

    python bench/decode_ab.py MODEL.gguf --old OLD_CHECKOUT [--rounds 6] [--gpu-layers 99] [--threads N]
                              [--depth D] [--tokens N]

Each round starts one fresh engine process of each version (their order alternating), loads the model,
warms up with one short answer, then asks five 128-token greedy answers (no repetition penalty) to a
~80-token chat prompt (``--depth D``: padded with digits, one token each, to about D tokens), and records
the consumer-observed decode rate (as run_engine_bench.py does); ``llama-bench -n 128 -d <prompt tokens> -r 3``
(``-n --tokens``) runs in the same round. Reported: the median of the
per-round ratios new ÷ old and each ÷ llama-bench. Made to tell a regression of the engine from a
difference of the machine, when a benchmark figure moved between two runs on different hosts.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from llama_tools import build_cpu_tools, find_tools, tool_env  # noqa: E402

# Runs inside a fresh interpreter per engine, with that version's visiondesk first on sys.path.
CHILD = r"""
import json, sys, time
from visiondesk.engine import Message, ModelSpec, SamplingParams, TextDelta, Finished
try:
    from visiondesk.engine.llama import LocalEngine as Engine
except ImportError:
    from visiondesk.engine import Engine
model, gpu_layers, threads, depth, n_gen = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), \
    int(sys.argv[5])
greedy = SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=n_gen)
prompt = "Please list, one per line, the numbers " + " ".join(str(i) for i in range(30))
prompt += " " + "".join(str(i * 7 % 10) for i in range(max(0, depth - 110)))  # digits: one token each
rates, tokens = [], 0
with Engine() as e:
    e.load(ModelSpec(model=model, n_ctx=max(4096, depth + n_gen + 512), gpu_layers=gpu_layers, threads=threads))
    for i in range(6):
        first = last = None
        for ev in e.chat([Message.user(prompt + f" ({i})")], greedy):
            if isinstance(ev, TextDelta) and first is None:
                first = time.monotonic()
            if isinstance(ev, Finished):
                last, n, tokens = ev.t, ev.usage.completion_tokens, ev.usage.prompt_tokens
        if i and first is not None and n > 1:
            rates.append((n - 1) / (last - first))
print(json.dumps({"rates": rates, "prompt_tokens": tokens}))
"""


def shim(root: Path) -> Path:
    """A folder whose ``visiondesk`` package is ``root``'s (symlinks), to put first on PYTHONPATH."""
    folder = Path(tempfile.mkdtemp(prefix="vd-ab-"))
    pkg = folder / "visiondesk"
    pkg.mkdir()
    for f in (root / "packaging" / "visiondesk").iterdir():
        if f.suffix == ".py":
            (pkg / f.name).symlink_to(f)
    for sub in ("engine", "models", "core", "batch", "api", "cli"):
        if (root / sub).is_dir():
            (pkg / sub).symlink_to(root / sub)
    return folder


def engine_rate(version_shim: Path, model: Path, gpu_layers: int, threads: int, depth: int,
                n_gen: int) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(version_shim), os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", CHILD, str(model), str(gpu_layers), str(threads), str(depth),
                          str(n_gen)], env=env, capture_output=True, text=True, timeout=300, check=True).stdout
    result: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return result


def llama_bench(model: Path, depth: int, gpu_layers: int, threads: int, n_gen: int) -> float:
    tool = (find_tools() or build_cpu_tools())["llama-bench"]
    out = subprocess.run([str(tool), "-m", str(model), "-p", "0", "-n", str(n_gen), "-d", str(depth), "-r", "3",
                          "-ngl", str(gpu_layers), "-t", str(threads), "-o", "json"],
                         capture_output=True, text=True, timeout=300, check=True, env=tool_env(tool)).stdout
    return float(json.loads(out)[0]["avg_ts"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("--old", type=Path, required=True, help="a checkout of the earlier version")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--gpu-layers", type=int, default=99)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--depth", type=int, default=0, help="pad the prompt to about this many tokens")
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    versions = {"new": shim(Path(__file__).resolve().parent.parent), "old": shim(args.old.resolve())}
    rows = []
    for r in range(args.rounds):
        order = ["new", "old"] if r % 2 == 0 else ["old", "new"]
        row: dict[str, float] = {}
        depth = 0
        for name in order:
            res = engine_rate(versions[name], args.model, args.gpu_layers, args.threads, args.depth, args.tokens)
            row[name] = statistics.median(res["rates"])  # type: ignore[arg-type]
            depth = int(res["prompt_tokens"])  # type: ignore[call-overload]
        row["llama_bench"] = llama_bench(args.model, depth, args.gpu_layers, args.threads, args.tokens)
        rows.append(row)
        print(f"round {r + 1}: new {row['new']:.1f}, old {row['old']:.1f}, llama-bench tg{args.tokens} -d {depth} "
              f"{row['llama_bench']:.1f} tok/s", flush=True)
    ratio = statistics.median(x["new"] / x["old"] for x in rows)
    new_lb = statistics.median(x["new"] / x["llama_bench"] for x in rows)
    old_lb = statistics.median(x["old"] / x["llama_bench"] for x in rows)
    print(f"new / old: {ratio:.3f} (median of per-round ratios); new / llama-bench {new_lb:.3f}, "
          f"old / llama-bench {old_lb:.3f}")
    if args.json:
        args.json.write_text(json.dumps({"rounds": rows, "new_over_old": ratio, "new_over_llama_bench": new_lb,
                                         "old_over_llama_bench": old_lb}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
