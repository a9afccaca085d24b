"""A soak: 4 concurrent clients, 200 requests, a quarter cut mid-stream at random moments.

No 5xx, every completed answer well-formed, every cut one cancelled in the engine, and the engine
process's memory at the end within 10% of what it was after the first 20 requests.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from visiondesk.api import Limits, RequestLog, ServerConfig, create_app
from visiondesk.engine.llama import LocalEngine

from tests.api.conftest import data_url, image_part, png_bytes, wait_for
from tests.api.server_thread import ServerThread

CLIENTS, WARMUP, TOTAL = 4, 20, 200
IMAGES = [data_url(png_bytes(c)) for c in ((200, 40, 40), (40, 200, 40), (40, 40, 200))]


@pytest.fixture(scope="module")
def log() -> RequestLog:
    return RequestLog(capacity=1000)


@pytest.fixture(scope="module")
def server(slow_engine: LocalEngine, log: RequestLog) -> Iterator[ServerThread]:
    with ServerThread(create_app(slow_engine, ServerConfig(limits=Limits(max_queue=CLIENTS)), log)) as s:
        yield s


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def plan(rng: random.Random, n: int, cut_every: int) -> list[dict[str, Any]]:
    """Request specs: a mix of text, images, follow-ups, streams; every ``cut_every``-th a stream to cut."""
    specs = []
    for i in range(n):
        content: Any = f"Question {i}: what do you see?"
        if rng.random() < 0.4:
            content = [{"type": "text", "text": content}, image_part(rng.choice(IMAGES))]
        messages: list[dict[str, Any]] = [{"role": "user", "content": content}]
        if rng.random() < 0.3:
            messages = [{"role": "system", "content": "Answer briefly."}, *messages,
                        {"role": "assistant", "content": "A picture."}, {"role": "user", "content": "More?"}]
        cut = cut_every > 0 and i % cut_every == cut_every - 1
        specs.append({"messages": messages, "stream": cut or rng.random() < 0.5, "cut": cut,
                      "cut_after_s": rng.uniform(0.0, 0.15), "max_tokens": 400 if cut else rng.randint(4, 12),
                      "temperature": rng.choice([0.0, 0.7]), "seed": rng.randint(0, 1000)})
    return specs


def run_one(client: openai.OpenAI, spec: dict[str, Any], problems: list[str]) -> str:
    """Send one request; returns "ok", "cut", or appends what was wrong to ``problems``."""
    args = {"model": "x", "messages": spec["messages"], "max_tokens": spec["max_tokens"],
            "temperature": spec["temperature"], "seed": spec["seed"]}
    try:
        if not spec["stream"]:
            r = client.chat.completions.create(**args)
            choice = r.choices[0]
            if not (choice.message.content and choice.finish_reason == "length" and r.usage
                    and r.usage.completion_tokens == spec["max_tokens"]):
                problems.append(f"malformed answer: {r}")
            return "ok"
        stream = client.chat.completions.create(**args, stream=True, stream_options={"include_usage": True})
        chunks = []
        started = None
        for chunk in stream:
            chunks.append(chunk)
            started = started or time.monotonic()
            if spec["cut"] and time.monotonic() - started >= spec["cut_after_s"]:
                stream.close()
                return "cut"
        if spec["cut"]:
            problems.append("a stream to cut ended by itself")
        reasons = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        usage = chunks[-1].usage
        if not (chunks[0].choices[0].delta.role == "assistant" and reasons == ["length"] and text and usage
                and usage.completion_tokens == spec["max_tokens"] and not chunks[-1].choices):
            problems.append(f"malformed stream: {chunks}")
        return "ok"
    except openai.APIStatusError as exc:
        problems.append(f"{exc.status_code}: {exc.message}")
    except openai.APIError as exc:
        problems.append(f"{type(exc).__name__}: {exc}")
    return "failed"


def run_clients(server: ServerThread, specs: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    problems: list[str] = []
    outcomes: list[str] = []
    share = [specs[i::CLIENTS] for i in range(CLIENTS)]

    def client_loop(mine: list[dict[str, Any]]) -> None:
        with openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0, timeout=120) as client:
            for spec in mine:
                outcomes.append(run_one(client, spec, problems))

    threads = [threading.Thread(target=client_loop, args=(mine,)) for mine in share]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    return outcomes, problems


def test_soak(server: ServerThread, slow_engine: LocalEngine, log: RequestLog) -> None:
    rng = random.Random(21)
    pid = slow_engine.pid
    assert pid is not None
    outcomes, problems = run_clients(server, plan(rng, WARMUP, cut_every=4))
    assert problems == [] and len(outcomes) == WARMUP
    wait_for(lambda: len(log.recent()) == WARMUP)  # a cut request ends in the engine shortly after the client left
    rss_after_warmup = rss_kib(pid)
    started = time.monotonic()
    more, problems = run_clients(server, plan(rng, TOTAL - WARMUP, cut_every=4))
    elapsed = time.monotonic() - started
    outcomes += more
    assert problems == []
    assert outcomes.count("cut") == TOTAL // 4 and outcomes.count("ok") == TOTAL - TOTAL // 4
    wait_for(lambda: len(log.recent()) == TOTAL)
    records = log.recent()
    assert not [r for r in records if r.status >= 500]
    assert sum(r.outcome == "cancelled" for r in records) == TOTAL // 4  # every cut stopped the engine early
    assert slow_engine.pid == pid  # the engine never crashed or restarted
    rss_end = rss_kib(pid)
    assert abs(rss_end - rss_after_warmup) <= 0.10 * rss_after_warmup, (rss_after_warmup, rss_end)
    print(f"soak: {TOTAL - WARMUP} requests in {elapsed:.1f} s; engine RSS {rss_after_warmup} -> {rss_end} KiB")
