"""Decode at the conversation's depth: VisionDesk against ``llama-bench -fa 1 -n 256 -d D``, in one run.

    python bench/depth_bench.py [--gpu] [--rounds N] [--depths 0,1024,2048,4096] [--tokens 256]
                                [--reps R] [--threads N] [--[no-]parts] [--json OUT.json] [--md OUT.md]

Models: with ``--gpu``, the benchmark's realistic decoder (``bench_models.realistic_pair``: 1.1B llama, Q4_K_M
and f16) with its CLIP ViT-L/14-336 projector (576 image tokens), every layer offloaded; without it, the small
generated pair (``bench_models.small_pair``: 256-wide 4-layer decoder, 32k vocabulary, Q4_K_M and f16, and a
tiny projector that also makes 576 image tokens), one thread.

Each round, for each model (their order alternating from round to round), a fresh engine process loads the
model and its projector and warms up with one short answer; then:

* depth ~0: a one-line question in a new conversation;
* then one conversation grows through the other depths: its first turn carries the image (576 image tokens)
  and a question, each later turn a new question; every user message is padded with digits (one token each)
  so that the prompt reaches the depth asked for (``LocalEngine.plan`` counts it).

At each depth the engine answers twice: the turn, then the same turn again (a regenerate: the engine cuts
its previous answer out of the KV cache, a rollback). Each answer has ``--tokens`` tokens, greedy without a
repetition penalty, its decode rate seen by the consumer as in ``run_engine_bench.py``: (tokens - 1) /
(``Finished`` - first ``TextDelta``). Back to back with the pair (before it in odd rounds, after it in even
ones), with the engine process idle, ``llama-bench -fa 1 -p 0 -n TOKENS -d <the answer's depth> -r R`` runs on
the same file. The ratio of a depth is the median over rounds of (median of the two answers) / llama-bench.

``--parts`` (on with ``--gpu``) adds, in the same round and against the same llama-bench figure, what tells
the pieces of a gap apart:

* **text only**: after the conversation's depths, the same engine answers (twice) a new one-message
  conversation of digits padded to each depth: no image chunk, no history, no rollback before its first
  answer; it tells the conversation's KV layout from the depth itself;
* **bare loop**: ``raw_decode.py --argmax`` in a fresh process on the same file and context size, every layer
  as offloaded as the engine's: llama-cpp-python's ``llama_decode`` and the argmax of each token's logits, and
  nothing else (no child process, no events, no text); it tells the engine's own work from the price of
  reading each token's logits before the next decode, which llama-bench (which feeds random tokens) also
  pays: it synchronises after every token.
"""

from __future__ import annotations

import argparse
import json
import platform
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

from bench_models import DepthModels, realistic_pair, small_pair  # noqa: E402
from engine_figures import (  # noqa: E402
    GREEDY,
    digit_prompt,
    engine_close,
    engine_request,
    log,
    make_images,
    publish,
    run_note,
)
from llama_tools import build_cpu_tools, find_tools, tool_env  # noqa: E402
from visiondesk.engine import Message, ModelSpec  # noqa: E402
from visiondesk.engine.llama import LocalEngine  # noqa: E402

TARGET = 0.97


def llama_bench_tg(bench_bin: Path, model: Path, depth: int, tokens: int, reps: int, threads: int,
                   ngl: int) -> float:
    """``llama-bench -fa 1`` decode tok/s of ``tokens`` tokens after ``depth`` tokens in the context."""
    cmd = [str(bench_bin), "-m", str(model), "-t", str(threads), "-ngl", str(ngl), "-fa", "1", "-p", "0",
           "-n", str(tokens), "-d", str(depth), "-r", str(reps), "-o", "json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=tool_env(bench_bin)).stdout
    return float(json.loads(out)[0]["avg_ts"])


class Conversation:
    """Grows one conversation to given depths, padding each new user message with digits."""

    def __init__(self, eng: LocalEngine, image: Path) -> None:
        self.eng = eng
        self.image = image
        self.history: list[Message] = []
        self.turn = 0

    def messages_at(self, depth: int) -> list[Message]:
        """The history plus a new user turn whose prompt is ``depth`` tokens (as near as the template allows)."""
        self.turn += 1
        question = f"Question {self.turn}: what else can you tell me about it? "
        image = (self.image,) if not self.history else ()

        def with_digits(n: int) -> list[Message]:
            text = question + (digit_prompt(n, 7 * self.turn) if n > 0 else "")
            return [*self.history, Message.user(text, *image)]

        base = self.eng.plan(with_digits(0)).prompt_tokens
        n = max(0, depth - base)
        for _ in range(3):  # the digits' first token may merge with the question's last: settle on the count
            got = self.eng.plan(with_digits(n)).prompt_tokens
            if got == depth or n == 0 and got > depth:
                break
            n = max(0, n + depth - got)
        return with_digits(n)

    def answered(self, messages: list[Message], text: str) -> None:
        """Keep the turn and its answer as history."""
        self.history = [*messages, Message.assistant(text)]


def text_messages_at(eng: LocalEngine, depth: int, seed: int) -> list[Message]:
    """A new conversation of one user message of digits, ``depth`` prompt tokens (as near as the template allows)."""
    question = f"Text {seed}: what comes after these digits? "

    def with_digits(n: int) -> list[Message]:
        return [Message.user(question + (digit_prompt(n, seed) if n > 0 else ""))]

    base = eng.plan(with_digits(0)).prompt_tokens
    n = max(0, depth - base)
    for _ in range(3):
        got = eng.plan(with_digits(n)).prompt_tokens
        if got == depth:
            break
        n = max(0, n + depth - got)
    return with_digits(n)


def bare_loop(model: Path, depth: int, args: argparse.Namespace, n_ctx: int) -> float:
    """Median tok/s of ``raw_decode.py --argmax`` at ``depth`` (a fresh process, the engine's context size)."""
    cmd = [sys.executable, str(BENCH / "raw_decode.py"), str(model), "2", "--depth", str(depth), "--argmax",
           "--tokens", str(args.tokens), "--gpu-layers", str(args.ngl), "--threads", str(args.threads),
           "--n-ctx", str(n_ctx), "--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=300).stdout
    rates: dict[str, list[float]] = json.loads(out.strip().splitlines()[-1])
    return statistics.median(next(iter(rates.values())))


def engine_pair(eng: LocalEngine, messages: list[Message], tokens: int) -> list[dict[str, Any]]:
    """The turn, then the same turn regenerated (a rollback of the answer in the KV cache)."""
    return [engine_request(eng, messages, tokens, sampling=GREEDY) for _ in range(2)]


def one_model(tag: str, model: Path, mmproj: Path, image: Path, args: argparse.Namespace, bench_bin: Path,
              round_no: int) -> list[dict[str, Any]]:
    """One fresh engine process through every depth, llama-bench beside each; rows per depth."""
    eng = LocalEngine()
    t0 = time.perf_counter()
    n_ctx = max(args.depths) + args.tokens + 512
    res = eng.load(ModelSpec(model=model, mmproj=mmproj, n_ctx=n_ctx, threads=args.threads, gpu_layers=args.ngl))
    log(f"{tag}: loaded in {time.perf_counter() - t0:.1f} s ({res.backend}, {res.gpu_layers}/{res.n_layers} layers)")
    rows = []
    try:
        engine_request(eng, [Message.user("Hello there.")], 8)  # warm-up
        conv = Conversation(eng, image)
        for depth in args.depths:
            if depth < 700:  # below an image turn's size: a new one-line conversation
                messages = [Message.user(f"Tell me a long story number {round_no}.")]
            else:
                messages = conv.messages_at(depth)
            at = eng.plan(messages).prompt_tokens
            bench_first = round_no % 2 == 1
            lb = llama_bench_tg(bench_bin, model, at, args.tokens, args.reps, args.threads, args.ngl) \
                if bench_first else 0.0
            answers = engine_pair(eng, messages, args.tokens)
            if not bench_first:
                lb = llama_bench_tg(bench_bin, model, at, args.tokens, args.reps, args.threads, args.ngl)
            if depth >= 700:
                conv.answered(messages, answers[-1]["text"])
            rates = [a.get("decode_tok_s", 0.0) for a in answers]
            row = {"model": tag, "round": round_no, "depth_asked": depth, "depth": answers[0]["prompt_tokens"],
                   "engine_tok_s": rates, "engine_own_tok_s": [a["eng_decode_tok_s"] for a in answers],
                   "completion_tokens": [a["completion_tokens"] for a in answers],
                   "evaluated": [a["prompt_tokens_evaluated"] for a in answers],
                   "images_reused": answers[-1]["images_reused"], "llama_bench": lb,
                   "ratio": statistics.median(rates) / lb if lb else float("nan")}
            rows.append(row)
            log(f"{tag} d{row['depth']}: engine {[round(r, 1) for r in rates]} tok/s "
                f"(tokens {row['completion_tokens']}, evaluated {row['evaluated']}), llama-bench {lb:.1f}: "
                f"{row['ratio']:.3f}")
        if args.parts:
            for row in rows:
                parts(eng, model, row, args, n_ctx, round_no)
    finally:
        engine_close(eng)
    return rows


def parts(eng: LocalEngine, model: Path, row: dict[str, Any], args: argparse.Namespace, n_ctx: int,
          round_no: int) -> None:
    """Add the text-only conversation and the bare loop at ``row``'s depth (see ``--parts``)."""
    depth = int(row["depth"])
    if row["depth_asked"] >= 700:
        messages = text_messages_at(eng, depth, 100 * round_no + depth % 97)
        answers = engine_pair(eng, messages, args.tokens)
        row["text_only_tok_s"] = [a.get("decode_tok_s", 0.0) for a in answers]
        row["text_only_depth"] = answers[0]["prompt_tokens"]
    else:  # depth ~0 is already a one-message text conversation
        row["text_only_tok_s"] = row["engine_tok_s"]
        row["text_only_depth"] = depth
    row["bare_tok_s"] = bare_loop(model, depth, args, n_ctx)
    lb = row["llama_bench"]
    log(f"{row['model']} d{depth}: text only {[round(r, 1) for r in row['text_only_tok_s']]} tok/s "
        f"(depth {row['text_only_depth']}), bare loop {row['bare_tok_s']:.1f}; llama-bench {lb:.1f}")


def parts_table(rows: list[dict[str, Any]], args: argparse.Namespace) -> list[str]:
    """Medians over rounds of each part's per-round ratio to the same round's llama-bench figure."""
    lines = ["", "Parts of the gap (`--parts`): each figure ÷ the same round's llama-bench at that depth, median over "
             "rounds. *Conversation*: the table above. *Text only*: a new one-message conversation of that depth "
             "in the same engine. *Bare loop*: `raw_decode.py --argmax` (llama_decode and the argmax, nothing "
             "else). *Engine ÷ bare*: the conversation's rate over the bare loop's.", "",
             "| model | depth | conversation | text only | bare loop | engine ÷ bare |", "|---|---|---|---|---|---|"]
    for tag in ("Q4_K_M", "f16"):
        for depth in args.depths:
            rs = [r for r in rows if r["model"] == tag and r["depth_asked"] == depth and "bare_tok_s" in r]
            if not rs:
                continue

            def med(key: str, rs: list[dict[str, Any]] = rs) -> float:
                return statistics.median(
                    (statistics.median(r[key]) if isinstance(r[key], list) else r[key]) / r["llama_bench"]
                    for r in rs)

            own = statistics.median(statistics.median(r["engine_tok_s"]) / r["bare_tok_s"] for r in rs)
            lines.append(f"| {tag} | {rs[0]['depth']} | {med('engine_tok_s'):.3f} | {med('text_only_tok_s'):.3f} | "
                         f"{med('bare_tok_s'):.3f} | {own:.3f} |")
    return lines


def table(rows: list[dict[str, Any]], args: argparse.Namespace, models: DepthModels, header: str) -> str:
    """The Markdown section: one row per model and depth."""
    lines = [header, "",
             "| model | depth (tokens) | VisionDesk tok/s (rounds) | `llama-bench -fa 1 -n "
             f"{args.tokens} -d D` tok/s (rounds) | ratio (median of per-round ratios; rounds) | "
             f"≥ {TARGET}× |", "|---|---|---|---|---|---|"]
    for tag in ("Q4_K_M", "f16"):
        for depth in args.depths:
            rs = [r for r in rows if r["model"] == tag and r["depth_asked"] == depth]
            if not rs:
                continue
            eng = [statistics.median(r["engine_tok_s"]) for r in rs]
            lb = [r["llama_bench"] for r in rs]
            ratios = [r["ratio"] for r in rs]
            ratio = statistics.median(ratios)
            depths = sorted({r["depth"] for r in rs})
            lines.append(f"| {tag} | {'/'.join(map(str, depths))} | {statistics.median(eng):,.1f} "
                         f"({', '.join(f'{x:.1f}' for x in eng)}) | {statistics.median(lb):,.1f} "
                         f"({', '.join(f'{x:.1f}' for x in lb)}) | {ratio:.3f} "
                         f"({', '.join(f'{x:.3f}' for x in ratios)}) | "
                         f"{'met' if ratio >= TARGET else '**NOT met**'} |")
    if args.parts:
        lines += parts_table(rows, args)
    lines += ["", f"Models: `{models.q4.name}`, `{models.f16.name}`, projector `{models.mmproj.name}`."]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gpu", action="store_true", help="the realistic models, every layer offloaded")
    ap.add_argument("--rounds", type=int, default=None, help="default: 3 with --gpu, 2 without")
    ap.add_argument("--depths", default="0,1024,2048,4096")
    ap.add_argument("--tokens", type=int, default=256)
    ap.add_argument("--reps", type=int, default=None, help="llama-bench -r; default: 3 with --gpu, 1 without")
    ap.add_argument("--threads", type=int, default=None, help="default: physical cores with --gpu, 1 without")
    ap.add_argument("--parts", action=argparse.BooleanOptionalAction, default=None,
                    help="add the text-only and bare-loop figures (default: on with --gpu)")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--md", type=Path)
    args = ap.parse_args()
    args.parts = args.gpu if args.parts is None else args.parts
    args.depths = [int(d) for d in args.depths.split(",")]
    args.rounds = args.rounds or (3 if args.gpu else 2)
    args.reps = args.reps or (3 if args.gpu else 1)
    if args.threads is None:
        from visiondesk.engine.requests import physical_cores

        args.threads = physical_cores() if args.gpu else 1
    args.ngl = 99 if args.gpu else 0
    tools = find_tools() or build_cpu_tools()
    models = realistic_pair(tools["llama-quantize"], 16) if args.gpu else small_pair(tools["llama-quantize"])
    image = make_images(BENCH / ".cache" / "images", 1)[0]
    t_start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    for r in range(args.rounds):
        order = [("Q4_K_M", models.q4), ("f16", models.f16)]
        for tag, path in order if r % 2 == 0 else order[::-1]:
            rows += one_model(tag, path, models.mmproj, image, args, tools["llama-bench"], r)
            if args.json:
                args.json.write_text(json.dumps({"rows": rows}, indent=1))
    header = (f"Depth benchmark ({'GPU, every layer offloaded' if args.gpu else 'CPU'}), "
              f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node() or 'host'}, "
              f"threads {args.threads}, {args.rounds} rounds, {args.tokens}-token greedy answers (two per depth: "
              f"the turn and its regenerate), `llama-bench -r {args.reps}`; " + run_note(t_start))
    md = table(rows, args, models, header)
    publish(md, args.md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
