"""Faults a real server will not produce on demand, from the IMITATION server (tests/remote/imitation_server.py):
streams cut, 429 with Retry-After, 500s, stalls, malformed chunks, error answers as typed errors. What each kind of
server says about itself (vLLM, Ollama, LM Studio, others) is in test_server_kinds.py."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from visiondesk.engine import CancelToken, Message, StopReason, TextDelta
from visiondesk.engine.remote import (
    MalformedChunk,
    RateLimited,
    RemoteBackend,
    ServerFailed,
    ServerKind,
    ServerNotAdded,
    ServerStore,
    ServerTimeout,
    ServerUnreachable,
    StreamCutOff,
    Timeouts,
)
from visiondesk.engine.remote.target import RemoteTarget

from tests.remote.conftest import FAST, MLLAMA, ask, connect, run
from tests.remote.imitation_server import (
    ImitationServer,
    hold,
    json_reply,
    stream,
)

TOKENS = ["The", " receipt", " says", " 12", ".50", " in", " total", "."]
def _wait_for_disconnect(server: ImitationServer) -> None:
    deadline = time.monotonic() + 3
    while server.imitation.disconnected_at is None and time.monotonic() < deadline:
        time.sleep(0.01)


def test_a_stream_cut_mid_answer_keeps_the_text_and_is_not_retried(servers: ServerStore, vllm: ImitationServer) -> None:
    backend = connect(servers, vllm.url, MLLAMA)
    vllm.imitation.script = [stream(TOKENS, cut_after=4)]
    text, fin, _ = run(backend, ask())
    assert fin.stop_reason is StopReason.ERROR and isinstance(fin.error, StreamCutOff)
    assert text == "".join(TOKENS[:4])
    assert "stopped in the middle" in str(fin.error) and "kept" in str(fin.error)
    assert len(vllm.imitation.requests) == 1, "no retry once text was shown"


def test_a_stream_cut_before_the_first_token_is_retried(servers: ServerStore, vllm: ImitationServer) -> None:
    backend = connect(servers, vllm.url, MLLAMA)
    vllm.imitation.script = [stream(TOKENS, cut_after=0), stream(TOKENS)]
    text, fin, _ = run(backend, ask())
    assert fin.stop_reason is StopReason.END and text == "".join(TOKENS)
    assert len(vllm.imitation.requests) == 2


def test_a_stream_without_a_finish_reason_is_reported(servers: ServerStore, vllm: ImitationServer) -> None:
    backend = connect(servers, vllm.url, MLLAMA)
    vllm.imitation.script = [stream(TOKENS, finish=None)]
    text, fin, _ = run(backend, ask())
    assert isinstance(fin.error, StreamCutOff) and text == "".join(TOKENS)


def test_429_with_retry_after_is_waited_for_then_retried(servers: ServerStore, vllm: ImitationServer) -> None:
    backend = connect(servers, vllm.url, MLLAMA)
    vllm.imitation.script = [json_reply(429, {"object": "error", "message": "Too many requests"}, {"Retry-After": "1"}),
                             stream(TOKENS)]
    t0 = time.monotonic()
    text, fin, _ = run(backend, ask())
    assert fin.stop_reason is StopReason.END and text == "".join(TOKENS)
    assert time.monotonic() - t0 >= 0.95, "Retry-After: 1 was honoured"
    assert len(vllm.imitation.requests) == 2


def test_429_asking_for_a_long_wait_says_when_to_retry(servers: ServerStore, vllm: ImitationServer) -> None:
    backend = connect(servers, vllm.url, MLLAMA)
    vllm.imitation.script = [json_reply(429, {"object": "error", "message": "slow down"}, {"Retry-After": "120"})]
    _, fin, _ = run(backend, ask())
    assert isinstance(fin.error, RateLimited) and fin.error.retry_after_s == 120
    assert "Try again in 2 minutes" in str(fin.error)
    assert len(vllm.imitation.requests) == 1


def test_500s_are_retried_with_backoff_then_reported(servers: ServerStore, vllm: ImitationServer) -> None:
    backend = connect(servers, vllm.url, MLLAMA)
    boom = json_reply(500, {"object": "error", "message": "CUDA error: an illegal memory access"})
    vllm.imitation.script = [boom, stream(TOKENS)]
    text, fin, _ = run(backend, ask())
    assert fin.stop_reason is StopReason.END and len(vllm.imitation.requests) == 2
    vllm.imitation.script = [boom, boom, boom]
    t0 = time.monotonic()
    _, fin, _ = run(backend, ask())
    assert isinstance(fin.error, ServerFailed) and fin.error.status == 500
    assert "illegal memory access" in str(fin.error) and "server's log" in str(fin.error)
    assert len(vllm.imitation.requests) == 2 + 3, "the first try and two retries"
    assert time.monotonic() - t0 >= 0.5 + 1.0 - 0.05, "backoff 0.5 s, then 1 s"


def test_a_stalled_stream_ends_at_the_between_chunk_timeout(servers: ServerStore, vllm: ImitationServer) -> None:
    backend = connect(servers, vllm.url, MLLAMA)
    vllm.imitation.script = [stream(TOKENS, stall_after=3, stall_s=10)]
    t0 = time.monotonic()
    text, fin, _ = run(backend, ask())
    assert isinstance(fin.error, ServerTimeout) and "middle of the answer" in str(fin.error)
    assert text == "".join(TOKENS[:3])
    assert time.monotonic() - t0 < FAST.between_chunks_s + 1.5
    _wait_for_disconnect(vllm)
    assert vllm.imitation.disconnected_at is not None and vllm.imitation.disconnected_at - fin.t < 0.5, \
        "the connection was closed, so the server stops too"


def test_no_first_token_in_time_is_a_timeout_not_a_retry(servers: ServerStore, vllm: ImitationServer) -> None:
    backend = connect(servers, vllm.url, MLLAMA, timeouts=Timeouts(connect_s=2, first_byte_s=0.5, between_chunks_s=5))
    vllm.imitation.script = [hold(5)]
    t0 = time.monotonic()
    _, fin, _ = run(backend, ask())
    assert isinstance(fin.error, ServerTimeout) and "first token" in str(fin.error)
    assert time.monotonic() - t0 < 1.5
    assert len(vllm.imitation.requests) == 1


def test_cancel_while_the_server_reads_the_prompt_returns_at_once(servers: ServerStore, vllm: ImitationServer) -> None:
    backend = connect(servers, vllm.url, MLLAMA)
    vllm.imitation.script = [hold(5)]  # no headers yet, as llama-server while it reads the prompt
    cancel = CancelToken()
    events = backend.chat(ask(), cancel=cancel)
    next(events)  # READING_PROMPT: the request is on its way
    time.sleep(0.3)
    cancel.cancel()
    rest = list(events)
    assert rest[-1].stop_reason is StopReason.CANCELLED  # type: ignore[union-attr]
    assert cancel.cancelled_at is not None and rest[-1].t - cancel.cancelled_at < 0.25
    _wait_for_disconnect(vllm)
    assert vllm.imitation.disconnected_at is not None and vllm.imitation.disconnected_at - cancel.cancelled_at < 0.5, \
        "the connection was cut before any answer came: the server can stop reading the prompt"


def test_a_malformed_chunk_is_reported_and_the_text_kept(servers: ServerStore, vllm: ImitationServer) -> None:
    backend = connect(servers, vllm.url, MLLAMA)
    vllm.imitation.script = [stream(TOKENS, malformed_after=2)]
    text, fin, _ = run(backend, ask())
    assert isinstance(fin.error, MalformedChunk) and "OpenAI-compatible" in str(fin.error)
    assert text == "".join(TOKENS[:2])


def test_an_error_inside_the_stream_is_the_servers_words(servers: ServerStore, vllm: ImitationServer) -> None:
    backend = connect(servers, vllm.url, MLLAMA)
    vllm.imitation.script = [stream(TOKENS, error_after=2, error_message="engine dead: out of KV cache")]
    text, fin, _ = run(backend, ask())
    assert isinstance(fin.error, ServerFailed) and "out of KV cache" in str(fin.error)
    assert text == "".join(TOKENS[:2])


def test_nothing_goes_to_a_server_that_was_not_added(servers: ServerStore, vllm: ImitationServer) -> None:
    with pytest.raises(ServerNotAdded):
        RemoteBackend(servers).load(RemoteTarget(base_url=vllm.url, model=MLLAMA))
    assert vllm.imitation.paths == []
    backend = connect(servers, vllm.url, MLLAMA)
    servers.remove(servers.require(vllm.url).id)
    sent = len(vllm.imitation.requests)
    _, fin, _ = run(backend, ask())
    assert isinstance(fin.error, ServerNotAdded) and len(vllm.imitation.requests) == sent


def test_no_key_means_no_authorization_header_and_no_openai_ids(servers: ServerStore, vllm: ImitationServer,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-users-real-openai-key")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-private")
    backend = connect(servers, vllm.url, MLLAMA)
    run(backend, ask())
    sent = {k.lower(): v for k, v in vllm.imitation.headers[-1].items()}
    assert "authorization" not in sent and "openai-organization" not in sent
    assert "sk-users-real-openai-key" not in json.dumps(sent)


def test_an_unreachable_server_names_the_url_and_asks_if_it_runs(servers: ServerStore) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    servers.add(url)
    with pytest.raises(ServerUnreachable, match=rf"127\.0\.0\.1:{port}/v1.*Is it running"):
        RemoteBackend(servers).load(RemoteTarget(base_url=url, model="x", timeouts=FAST))


def test_sampling_and_images_reach_the_server_as_sent(servers: ServerStore, vllm: ImitationServer,
                                                     pictures: dict[str, Path]) -> None:
    from visiondesk.engine import SamplingParams

    backend = connect(servers, vllm.url, "Qwen/Qwen2.5-VL-72B-Instruct")
    events = list(backend.chat(ask(pictures["big"]), SamplingParams(temperature=0.3, top_p=0.8, max_tokens=77,
                                                                    seed=42, stop=("END",), top_k=20)))
    body = vllm.imitation.requests[-1]
    assert body["temperature"] == 0.3 and body["top_p"] == 0.8 and body["max_tokens"] == 77 and body["seed"] == 42
    assert body["stop"] == ["END"] and body["top_k"] == 20 and body["stream_options"] == {"include_usage": True}
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    parts = body["messages"][1]["content"]
    assert parts[0]["type"] == "image_url" and parts[0]["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert parts[1] == {"type": "text", "text": "What is the total?"}
    assert str(pictures["big"]) not in json.dumps(body) and "big.jpg" not in json.dumps(body)
    fin = events[-1]
    assert fin.usage.prompt_tokens == 21 and fin.usage.completion_tokens == 3  # type: ignore[union-attr]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Hello there."


def test_without_usage_from_the_server_tokens_are_counted_from_the_stream(servers: ServerStore,
                                                                         vllm: ImitationServer) -> None:
    backend = connect(servers, vllm.url, MLLAMA)
    vllm.imitation.script = [stream(TOKENS, usage=False, delay=0.01)]
    text, fin, _ = run(backend, ask())
    assert fin.stop_reason is StopReason.END and fin.usage.completion_tokens == len(TOKENS)
    assert fin.usage.prompt_tokens == 0, "unknown, not invented"
    assert 0 < fin.timings.decode_tok_s < 1000 and fin.timings.ttft_ms > 0


def test_a_content_filter_stop_is_an_error_with_words(servers: ServerStore, vllm: ImitationServer) -> None:
    backend = connect(servers, vllm.url, MLLAMA)
    vllm.imitation.script = [stream(TOKENS[:2], finish="content_filter")]
    _, fin, _ = run(backend, ask())
    assert fin.stop_reason is StopReason.ERROR and "content filter" in str(fin.error)


def test_the_servers_page_report_for_vllm_and_a_wrong_key(servers: ServerStore, vllm: ImitationServer) -> None:
    from visiondesk.engine.remote import KeyRejected, probe

    report = probe.test_server(servers.add(vllm.url), servers.keys)
    assert report.reachable and report.kind is ServerKind.VLLM and report.remote_host is None
    mllama = report.model(MLLAMA)
    assert mllama is not None and mllama.vision is True and mllama.one_image_per_prompt
    qwen = "Qwen/Qwen2.5-VL-72B-Instruct"
    assert report.model(qwen) == probe.RemoteModel(qwen, None, 32768)
    vllm.imitation.api_key = "right"
    report = probe.test_server(servers.require(vllm.url), servers.keys, api_key="wrong")
    assert report.reachable and isinstance(report.error, KeyRejected) and report.models == ()


def test_an_image_url_is_never_fetched_or_sent(servers: ServerStore, vllm: ImitationServer) -> None:
    from visiondesk.engine import ImageError

    backend = connect(servers, vllm.url, "Qwen/Qwen2.5-VL-72B-Instruct")
    _, fin, _ = run(backend, [Message.user("What is this?", "https://example.org/cat.jpg")])
    assert isinstance(fin.error, ImageError) and "does not exist" in str(fin.error)
    assert vllm.imitation.requests == []


def test_closing_the_backend_from_another_thread_ends_the_answer_as_cancelled(servers: ServerStore,
                                                                             vllm: ImitationServer) -> None:
    import threading

    backend = connect(servers, vllm.url, MLLAMA)
    vllm.imitation.script = [stream(["word "] * 200, delay=0.02)]
    events = []
    closed_at: list[float] = []
    for event in backend.chat(ask()):
        events.append(event)
        if isinstance(event, TextDelta) and len(events) == 5:
            def close_now() -> None:
                closed_at.append(time.monotonic())
                backend.close()
            threading.Thread(target=close_now).start()
    fin = events[-1]
    assert fin.stop_reason is StopReason.CANCELLED  # type: ignore[union-attr]
    assert fin.t - closed_at[0] < 0.25  # type: ignore[union-attr]
    assert len(vllm.imitation.requests) == 1, "not retried after close"
    assert backend.info is None


def test_a_proxy_from_the_environment_is_used_and_the_far_host_is_remote(servers: ServerStore,
                                                                         vllm: ImitationServer,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # The imitation server doubles as the HTTP proxy: the only way to reach "gpu.lab.invalid" here.
    monkeypatch.setenv("HTTP_PROXY", vllm.url)
    far = "http://gpu.lab.invalid:8000"
    backend = connect(servers, far, MLLAMA)
    assert backend.info and backend.info.remote_host == "gpu.lab.invalid:8000"
    assert backend.info.runs_on == "remote: gpu.lab.invalid:8000 (vLLM)"
    text, fin, _ = run(backend, ask())
    assert fin.stop_reason is StopReason.END and text == "Hello there."
    assert set(vllm.imitation.proxied_for) == {"gpu.lab.invalid:8000"}


@pytest.mark.parametrize(("status", "body", "kind", "words"), [
    (413, {"detail": "Request Entity Too Large"}, "ImageTooLarge", "1500 px"),
    (400, {"object": "error", "message": "image size 9000x9000 exceeds the maximum", "code": 400}, "ImageTooLarge",
     "Lower 'image size sent'"),
    (400, {"object": "error", "message": "This model's maximum context length is 8192 tokens.", "code": 400},
     "RequestRejected", "maximum context length is 8192"),
    (403, {"error": {"message": "key not allowed for this model"}}, "KeyRejected", "needs an API key"),
    (503, {"error": "model is loading"}, "ServerFailed", "model is loading"),
])
def test_error_answers_become_typed_errors_with_the_fix(servers: ServerStore, vllm: ImitationServer,
                                                       pictures: dict[str, Path], status: int, body: dict[str, object],
                                                       kind: str, words: str) -> None:
    import visiondesk.engine.remote as remote

    backend = connect(servers, vllm.url, "Qwen/Qwen2.5-VL-72B-Instruct", retries=0)
    vllm.imitation.script = [json_reply(status, body)]
    _, fin, _ = run(backend, ask(pictures["photo"]))
    assert isinstance(fin.error, getattr(remote, kind)) and words in str(fin.error), fin.error
