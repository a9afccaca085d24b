"""The remote backend against real servers: llama.cpp's llama-server (built from the llama.cpp that llama-cpp-python
vendors), serving the generated tiny vision pair with --mmproj, with and without --api-key; and the same suite against
VisionDesk's own ``visiondesk serve`` (issue 21: the remote backend pointed at it passes its own tests too)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from visiondesk.engine import (
    CancelToken,
    Finished,
    Message,
    SamplingParams,
    Stage,
    StageChanged,
    StopReason,
    TextDelta,
)
from visiondesk.engine.remote import KeyRef, KeyRejected, ModelNotFound, RemoteBackend, ServerKind, ServerStore, probe
from visiondesk.engine.remote.target import RemoteTarget

from tests.remote.conftest import API_KEY, GREEDY, MODEL_ALIAS, LlamaServer, run

MODEL = MODEL_ALIAS
KIND = {"llama-server": ServerKind.LLAMA_SERVER, "visiondesk serve": ServerKind.VISIONDESK}


def connect(servers: ServerStore, server: LlamaServer, **kw: object) -> RemoteBackend:
    entry = servers.add(server.url, name="llama-server", api_key=server.api_key)
    backend = RemoteBackend(servers)
    backend.load(RemoteTarget(**{"base_url": entry.base_url, "model": MODEL,  # type: ignore[arg-type]
                                 "key": KeyRef.stored(entry.id) if entry.has_key else None, **kw}))
    return backend


def test_an_image_question(servers: ServerStore, openai_server: LlamaServer, pictures: dict[str, Path]) -> None:
    backend = connect(servers, openai_server)
    info = backend.info
    assert info is not None and backend.server_kind is KIND[openai_server.program]
    assert info.model_name == MODEL and info.vision is True and info.n_ctx == 4096
    assert info.remote_host is None and info.runs_on.startswith("this computer: 127.0.0.1:")
    text, fin, _ = run(backend, [Message.system("Answer briefly."), Message.user("What is in it?", pictures["photo"])])
    assert fin.error is None and fin.stop_reason is StopReason.LENGTH and text
    assert fin.usage.completion_tokens == GREEDY.max_tokens
    assert fin.usage.prompt_tokens > 16, "the 16 image tokens and the text"
    assert fin.usage.images_encoded == 1
    assert fin.timings.ttft_ms > 0 and fin.timings.decode_tok_s > 0 and fin.timings.prompt_ms > 0


def test_two_images_cost_more_prompt_than_one(servers: ServerStore, openai_server: LlamaServer,
                                              pictures: dict[str, Path]) -> None:
    backend = connect(servers, openai_server)
    _, one, _ = run(backend, [Message.user("Compare.", pictures["photo"])])
    _, two, _ = run(backend, [Message.user("Compare.", pictures["photo"], pictures["screenshot"])])
    assert one.error is None and two.error is None
    assert two.usage.prompt_tokens >= one.usage.prompt_tokens + 16, "the second image's 16 tokens reached the model"
    assert two.usage.images_encoded == 2


def test_a_follow_up_resends_the_conversation(servers: ServerStore, openai_server: LlamaServer,
                                              pictures: dict[str, Path]) -> None:
    backend = connect(servers, openai_server)
    first = [Message.user("What is in it?", pictures["photo"])]
    answer, fin1, _ = run(backend, first)
    follow = [*first, Message.assistant(answer), Message.user("And the colour?")]
    text, fin2, _ = run(backend, follow)
    assert fin2.error is None and text
    assert fin2.usage.prompt_tokens > fin1.usage.prompt_tokens + fin1.usage.completion_tokens - 1
    assert fin2.usage.images_encoded == 1


def test_events_stream_in_order(servers: ServerStore, openai_server: LlamaServer, pictures: dict[str, Path]) -> None:
    backend = connect(servers, openai_server)
    events = list(backend.chat([Message.user("Describe.", pictures["logo"])], GREEDY))
    kinds = [type(e).__name__ for e in events]
    stages = [e.stage for e in events if isinstance(e, StageChanged)]
    assert stages == [Stage.ENCODING_IMAGE, Stage.READING_PROMPT, Stage.GENERATING]
    first_text = kinds.index("TextDelta")
    assert kinds.index("StageChanged") < first_text and isinstance(events[first_text - 1], StageChanged)
    assert isinstance(events[-1], Finished) and kinds.count("Finished") == 1
    times = [e.t for e in events]
    assert times == sorted(times)
    deltas = [e for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 1, "streamed, not one block"
    again = list(backend.chat([Message.user("Describe.", pictures["logo"])], GREEDY))
    assert Stage.ENCODING_IMAGE not in [e.stage for e in again if isinstance(e, StageChanged)], "encoded image cached"


def test_the_seed_and_sampling_reach_the_server(servers: ServerStore, openai_server: LlamaServer) -> None:
    backend = connect(servers, openai_server)
    hot = SamplingParams(temperature=1.5, top_k=0, top_p=1.0, min_p=0.0, max_tokens=24, seed=7)
    a, _, _ = run(backend, [Message.user("Say something.")], hot)
    b, _, _ = run(backend, [Message.user("Say something.")], hot)
    c, _, _ = run(backend, [Message.user("Say something.")], SamplingParams(**{**hot.__dict__, "seed": 8}))
    assert a == b, "the same seed gives the same text"
    assert a != c, "another seed gives another text"
    short, fin, _ = run(backend, [Message.user("Say something.")], SamplingParams(temperature=0.0, max_tokens=5))
    assert fin.usage.completion_tokens == 5 and fin.stop_reason is StopReason.LENGTH


def test_cancel_mid_stream_returns_fast_and_the_server_sees_it(servers: ServerStore, openai_server: LlamaServer,
                                                               pictures: dict[str, Path]) -> None:
    backend = connect(servers, openai_server)
    requests = openai_server.requests
    seen = len(openai_server.log_text()) if requests is None else len(requests.recent())
    cancel = CancelToken()
    deltas = 0
    final = None
    for event in backend.chat([Message.user("Tell a long story.", pictures["photo"])],
                              SamplingParams(temperature=0.0, max_tokens=3000, repeat_penalty=1.0), cancel):
        if isinstance(event, TextDelta):
            deltas += 1
            if deltas == 3:
                cancel.cancel()
        if isinstance(event, Finished):
            final = event
    assert final is not None and final.stop_reason is StopReason.CANCELLED
    assert cancel.cancelled_at is not None and final.t - cancel.cancelled_at < 0.25
    if requests is None:
        # llama-server notices the closed connection, cancels the task and frees the slot long before 3000 tokens.
        released = None
        deadline = time.monotonic() + 10
        while released is None and time.monotonic() < deadline:
            new = openai_server.log_text()[seen:]
            task = re.search(r"cancel task, id_task = (\d+)", new)
            released = task and re.search(rf"task {task.group(1)} \| stop processing: n_tokens = (\d+)", new)
            time.sleep(0.1)
        assert released, "llama-server saw the disconnect and cancelled the task"
        assert int(released.group(1)) < 1000 and "send_error" not in new, "stopped early, not by an error"
    else:
        # visiondesk serve keeps no log file: its request log shows it saw the client leave and stopped the engine.
        deadline = time.monotonic() + 10
        while len(requests.recent()) <= seen and time.monotonic() < deadline:
            time.sleep(0.05)
        record = requests.recent()[seen]
        assert record.outcome == "cancelled" and record.status == 0, "visiondesk serve saw the disconnect"
        assert record.cancel_asked_at is not None and 0 < record.completion_tokens < 1000, "stopped early"
        assert record.ended_at - record.cancel_asked_at < 1.0, "the engine let go of the request promptly"
    text, fin, _ = run(backend, [Message.user("Still there?")])
    assert fin.error is None and text, "the next request works"


def test_a_wrong_or_missing_key_is_named(servers: ServerStore, openai_server_keyed: LlamaServer,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    entry = servers.add(openai_server_keyed.url, name="keyed", api_key="wrong-key")
    with pytest.raises(KeyRejected, match="Check the API key") as wrong:
        RemoteBackend(servers).load(entry.target(MODEL))
    assert wrong.value.status == 401
    bare = servers.update(entry.id, clear_key=True)
    with pytest.raises(KeyRejected, match="needs an API key"):
        RemoteBackend(servers).load(bare.target(MODEL))
    report = probe.test_server(bare, servers.keys)
    assert report.reachable and isinstance(report.error, KeyRejected)
    monkeypatch.setenv("VD_TEST_KEY", API_KEY)
    backend = RemoteBackend(servers)
    backend.load(RemoteTarget(base_url=openai_server_keyed.url, model=MODEL, key=KeyRef.env("VD_TEST_KEY")))
    text, fin, _ = run(backend, [Message.user("Hello")])
    assert fin.error is None and text
    good = servers.update(entry.id, api_key=API_KEY)
    report = probe.test_server(good, servers.keys)
    assert report.error is None and report.kind is KIND[openai_server_keyed.program]
    assert report.models == (probe.RemoteModel(MODEL, True, 4096),)


def test_an_unknown_model_lists_the_servers_models(servers: ServerStore, openai_server: LlamaServer) -> None:
    entry = servers.add(openai_server.url)
    with pytest.raises(ModelNotFound, match="tiny-vision") as err:
        RemoteBackend(servers).load(entry.target("llama3.2-vision"))
    assert err.value.available == (MODEL,) and "llama3.2-vision" in str(err.value)
