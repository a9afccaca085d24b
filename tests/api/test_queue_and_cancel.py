"""One engine for many clients: cancelling by going away (within 250 ms), FIFO order, 429 past the queue."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import openai
import pytest
from visiondesk.api import Limits, RequestLog, ServerConfig, create_app
from visiondesk.engine.llama import LocalEngine

from tests.api.conftest import wait_for
from tests.api.server_thread import ServerThread

LONG = 1500  # tokens: ~15 s on the slow model, so every cut lands mid-generation
CANCEL_BUDGET_S = 0.25


@pytest.fixture(scope="module")
def log() -> RequestLog:
    return RequestLog()


@pytest.fixture(scope="module")
def server(slow_engine: LocalEngine, log: RequestLog) -> Iterator[ServerThread]:
    with ServerThread(create_app(slow_engine, ServerConfig(limits=Limits(max_queue=2)), log)) as s:
        yield s


@pytest.fixture(scope="module")
def client(server: ServerThread) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0, timeout=120) as c:
        yield c


def ask(client: openai.OpenAI, max_tokens: int, text: str = "Tell me a story.", **kw: object) -> object:
    return client.chat.completions.create(model="x", messages=[{"role": "user", "content": text}],
                                          temperature=0, max_tokens=max_tokens, **kw)  # type: ignore[call-overload]


def start_long_stream(client: openai.OpenAI) -> openai.Stream:  # type: ignore[type-arg]
    stream = ask(client, LONG, stream=True)
    for _ in range(3):  # the role chunk and two tokens: the engine is generating
        next(iter(stream))  # type: ignore[call-overload]
    return stream  # type: ignore[return-value]


def test_closing_a_stream_cancels_its_generation_quickly(client: openai.OpenAI, log: RequestLog) -> None:
    before = len(log.recent())
    stream = start_long_stream(client)
    closed_at = time.monotonic()
    stream.close()
    wait_for(lambda: len(log.recent()) > before)
    record = log.recent()[-1]
    assert record.outcome == "cancelled" and record.stream
    assert record.cancel_asked_at is not None and record.cancel_asked_at - closed_at < CANCEL_BUDGET_S
    assert record.ended_at - closed_at < CANCEL_BUDGET_S, f"{(record.ended_at - closed_at) * 1000:.0f} ms"
    after = ask(client, 4)
    assert after.choices[0].finish_reason == "length" and after.usage.completion_tokens == 4  # type: ignore[attr-defined]


def test_a_client_that_times_out_cancels_a_whole_answer(server: ServerThread, log: RequestLog) -> None:
    before = len(log.recent())
    with openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0, timeout=1.0) as impatient:
        with pytest.raises(openai.APITimeoutError):
            ask(impatient, LONG)
        gave_up_at = time.monotonic()
    wait_for(lambda: len(log.recent()) > before)
    record = log.recent()[-1]
    assert record.outcome == "cancelled" and not record.stream
    assert record.ended_at - gave_up_at < CANCEL_BUDGET_S, f"{(record.ended_at - gave_up_at) * 1000:.0f} ms"


def test_fifo_order_429_past_the_queue_and_a_waiting_client_that_leaves(
        client: openai.OpenAI, server: ServerThread, log: RequestLog) -> None:
    before = len(log.recent())
    running = start_long_stream(client)
    answers: dict[int, object] = {}

    def queued(max_tokens: int) -> None:
        answers[max_tokens] = ask(client, max_tokens)

    threads = []
    for n in (3, 5):  # arrive in this order, while the engine is busy
        waiting = sum(1 for _ in threads)
        threads.append(threading.Thread(target=queued, args=(n,)))
        threads[-1].start()
        wait_for(lambda w=waiting: _in_flight(client) == 2 + w)  # type: ignore[misc]
    with pytest.raises(openai.RateLimitError) as full:
        ask(client, 2)
    assert full.value.code == "queue_full"
    assert int(full.value.response.headers["retry-after"]) >= 1
    running.close()
    for t in threads:
        t.join(60)
    assert [answers[n].usage.completion_tokens for n in (3, 5)] == [3, 5]  # type: ignore[attr-defined]
    records = log.recent()[before:]
    assert [r.outcome for r in records[:2]] == ["queue_full", "cancelled"]
    assert [r.completion_tokens for r in records[2:]] == [3, 5]  # served in arrival order
    assert records[2].at < records[3].at and records[2].ended_at < records[3].ended_at  # first come, first served
    assert min(records[2].queued_ms, records[3].queued_ms) > 0

    # a client that leaves while waiting never reaches the engine
    before = len(log.recent())
    running = start_long_stream(client)
    with openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0, timeout=0.5) as impatient:
        with pytest.raises(openai.APITimeoutError):
            ask(impatient, 3)
    time.sleep(0.1)
    running.close()
    wait_for(lambda: len(log.recent()) >= before + 2)
    gone = log.recent()[before + 1]
    assert gone.outcome == "cancelled" and gone.prompt_tokens == 0 and gone.completion_tokens == 0
    assert ask(client, 2).usage.completion_tokens == 2  # type: ignore[attr-defined]


def _in_flight(client: openai.OpenAI) -> int:
    health = client.with_options(base_url=str(client.base_url).removesuffix("v1/")).get("/health", cast_to=object)
    return int(health["in_flight"])  # type: ignore[index]


def test_an_engine_crash_is_a_503_and_the_next_request_restarts_it(client: openai.OpenAI,
                                                                   slow_engine: LocalEngine) -> None:
    """The engine process killed mid-answer (as the kernel's OOM killer would): whole answers get a 503 with
    Retry-After, a stream that has started gets an error event; the next request loads the model again."""
    failures: list[openai.APIError] = []

    def long_answer() -> None:
        try:
            ask(client, LONG)
        except openai.APIError as exc:
            failures.append(exc)

    for streamed in (False, True):
        pid = slow_engine.pid
        assert pid is not None
        if streamed:
            stream = start_long_stream(client)
        else:
            waiter = threading.Thread(target=long_answer)
            waiter.start()
            wait_for(lambda: _in_flight(client) == 1)
            time.sleep(0.3)  # reading the prompt, then generating
        os.kill(pid, signal.SIGKILL)
        if streamed:
            with pytest.raises(openai.APIError) as in_stream:
                for _ in stream:
                    pass
            assert "was killed by signal SIGKILL" in in_stream.value.message
        else:
            waiter.join(60)
            assert isinstance(failures[0], openai.InternalServerError)
            assert failures[0].status_code == 503 and failures[0].code == "engine_crashed"
            assert failures[0].response.headers["retry-after"] == "1"
            assert "was killed by signal SIGKILL" in failures[0].message
        assert ask(client, 3).usage.completion_tokens == 3  # type: ignore[attr-defined]
        assert slow_engine.pid not in (None, pid)  # a new engine process, the model loaded again
