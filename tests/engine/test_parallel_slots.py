"""Parallel slots of one context (``ModelSpec.parallel``): answers as if alone, continuous refill, cancel, errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from visiondesk.engine import (
    CancelToken,
    ContextOverflow,
    Finished,
    Message,
    ParallelRequest,
    SamplingParams,
    StopReason,
    TextDelta,
    Tuning,
)
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.llama.disk_cache import DiskCache
from visiondesk.engine.llama.worker.parallel_slots import slots_for

from tests.engine.conftest import GREEDY, collect_parallel, run, spec
from tests.model_factory import GeneratedModels


@pytest.fixture(scope="module")
def slots4(test_models: GeneratedModels) -> Iterator[LocalEngine]:
    """The tiny f32 model with four parallel sequences of 1024 tokens each."""
    with LocalEngine() as e:
        e.load(spec(test_models, parallel=4))
        yield e


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Ten distinct images of a few sizes."""
    d = tmp_path_factory.mktemp("slot-images")
    out = []
    for i in range(10):
        img = Image.new("RGB", (40 + 8 * (i % 3), 32), ((i * 53) % 256, (i * 29) % 256, (i * 71) % 256))
        img.putpixel((i, i), (255, 255, 255))
        img.save(d / f"p{i}.png")
        out.append(d / f"p{i}.png")
    return out


def test_the_context_has_four_sequences_of_the_asked_size(slots4: LocalEngine) -> None:
    assert slots4.parallel_slots == 4
    assert slots4.loaded is not None and slots4.loaded.parallel == 4 and slots4.loaded.n_ctx == 1024


def test_each_answer_equals_the_same_request_alone_and_slots_refill(slots4: LocalEngine, test_models: GeneratedModels,
                                                                    pictures: list[Path]) -> None:
    """f32 weights on the CPU: the batched step gives bit-for-bit the answers of one sequence at a time.

    Request 0 is long; the others are short and of different lengths and settings, so slots free up at
    different steps and the later requests join while request 0 still generates (continuous batching).
    """
    samplings = [SamplingParams(temperature=0.0, max_tokens=120, repeat_penalty=1.0)]
    samplings += [SamplingParams(temperature=0.0, max_tokens=3 + i, repeat_penalty=1.0) for i in range(1, 5)]
    samplings += [SamplingParams(temperature=0.9, seed=40 + i, max_tokens=6, top_k=20) for i in range(5, 8)]
    samplings += [SamplingParams(temperature=0.0, max_tokens=10, repeat_penalty=1.3, stop=("e",)) for _ in range(8, 10)]
    requests = [ParallelRequest(i, [Message.user(f"Describe picture {i}.", p)], s)
                for i, (p, s) in enumerate(zip(pictures, samplings, strict=True))]
    texts, finals, order = collect_parallel(slots4.chat_parallel(requests))
    assert sorted(finals) == list(range(10))
    with LocalEngine() as alone:
        alone.load(spec(test_models))
        for req in requests:
            text, fin, _ = run(alone, list(req.messages), req.sampling)
            assert texts.get(req.key, "") == text, req.key
            assert finals[req.key].stop_reason is fin.stop_reason, req.key
            assert finals[req.key].usage.completion_tokens == fin.usage.completion_tokens, req.key
            assert finals[req.key].usage.prompt_tokens == fin.usage.prompt_tokens, req.key
    assert finals[0].usage.completion_tokens == 120
    # Requests 4..9 could only start when a slot freed; they all finished while request 0 still ran.
    done_at = {key: i for i, (key, what) in enumerate(order) if what == "done"}
    assert all(done_at[k] < done_at[0] for k in range(4, 10)), order


def test_a_failing_request_ends_alone_and_the_others_go_on(slots4: LocalEngine, pictures: list[Path]) -> None:
    """One prompt longer than a slot's context: its own ``ContextOverflow``; the rest answer normally."""
    huge = "word " * 1500
    requests = [ParallelRequest(i, [Message.user(huge if i == 2 else "Describe it.", pictures[i])], GREEDY)
                for i in range(6)]
    texts, finals, _ = collect_parallel(slots4.chat_parallel(requests))
    assert isinstance(finals[2].error, ContextOverflow)
    assert finals[2].stop_reason is StopReason.ERROR
    for key in (0, 1, 3, 4, 5):
        assert finals[key].error is None and finals[key].usage.completion_tokens == GREEDY.max_tokens
        assert texts[key]


def test_a_bad_image_is_refused_before_it_reaches_a_slot(slots4: LocalEngine, pictures: list[Path],
                                                         tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG and then nothing")
    requests = [ParallelRequest(i, [Message.user("Describe it.", broken if i == 1 else pictures[i])], GREEDY)
                for i in range(5)]
    _, finals, _ = collect_parallel(slots4.chat_parallel(requests))
    assert finals[1].error is not None and "image" in str(finals[1].error).lower()
    assert all(finals[k].error is None for k in (0, 2, 3, 4))


def test_cancel_stops_every_slot_and_the_engine_answers_after(slots4: LocalEngine, pictures: list[Path]) -> None:
    long = SamplingParams(temperature=0.0, max_tokens=100_000, repeat_penalty=1.0)  # only the slot's end stops it
    cancel = CancelToken()
    requests = [ParallelRequest(i, [Message.user("Describe it.", p)], long) for i, p in enumerate(pictures)]
    finals: dict[int, Finished] = {}
    started: set[int] = set()
    t_cancel = 0.0
    for key, event in slots4.chat_parallel(requests, cancel):
        if isinstance(event, TextDelta):
            started.add(key)
            if len(started) == 4 and not cancel.cancelled:
                cancel.cancel()
                t_cancel = time.monotonic()
        elif isinstance(event, Finished):
            finals[key] = event
    assert time.monotonic() - t_cancel < 5.0
    assert set(finals) == started == {0, 1, 2, 3}  # the queued requests were never taken
    assert all(f.stop_reason is StopReason.CANCELLED for f in finals.values())
    assert all(f.usage.completion_tokens < 900 for f in finals.values())
    text, fin, _ = run(slots4, [Message.user("And now?", pictures[0])])
    assert fin.error is None and text


def test_one_chat_at_a_time_still_works_on_a_parallel_context(slots4: LocalEngine, test_models: GeneratedModels,
                                                              pictures: list[Path]) -> None:
    text, fin, _ = run(slots4, [Message.user("Describe it.", pictures[3])])
    with LocalEngine() as alone:
        alone.load(spec(test_models))
        assert run(alone, [Message.user("Describe it.", pictures[3])])[0] == text
    assert fin.error is None


def test_slots_by_free_memory() -> None:
    gib = 2**30
    assert slots_for(10 * gib, gib) == 5  # half of what is free goes to KV
    assert slots_for(100 * gib, gib) == 8  # at most eight by default
    assert slots_for(gib, 4 * gib) == 1  # always one
    assert slots_for(100 * gib, gib, cap=32) == 32


def test_parallel_zero_is_chosen_from_free_memory(test_models: GeneratedModels) -> None:
    """The tiny model's KV cache is a few MiB per slot: free RAM allows the most slots."""
    with LocalEngine() as e:
        info = e.load(spec(test_models, parallel=0))
        assert info.parallel == e.parallel_slots == 8


@pytest.fixture(scope="module")
def ahead4(test_models: GeneratedModels) -> Iterator[LocalEngine]:
    """Four slots encoding the waiting requests' images on a second thread (forced: by default only on CUDA)."""
    with LocalEngine() as e:
        e.load(spec(test_models, parallel=4, tuning=Tuning(encode_ahead=True)))
        yield e


def test_images_encoded_ahead_give_the_answers_of_the_plain_path(ahead4: LocalEngine, slots4: LocalEngine,
                                                                  pictures: list[Path]) -> None:
    """Ten requests, four slots: the six that wait for a slot have their images encoded while the slots
    decode, and every answer equals the plain path's bit for bit (f32 on the CPU)."""
    requests = [ParallelRequest(i, [Message.user(f"Describe picture {i}.", p)],
                                SamplingParams(temperature=0.0, max_tokens=10 + i, repeat_penalty=1.0))
                for i, p in enumerate(pictures)]
    texts, finals, _ = collect_parallel(ahead4.chat_parallel(requests))
    plain_texts, plain_finals, _ = collect_parallel(slots4.chat_parallel(requests))
    assert texts == plain_texts and len(texts) == 10
    assert all(f.error is None and f.usage.images_encoded == 1 for f in finals.values())
    assert {k for k, f in finals.items() if f.usage.images_encoded_ahead} == set(range(4, 10))
    assert not any(f.usage.images_encoded_ahead for f in plain_finals.values())
    assert [finals[k].usage.prompt_tokens for k in range(10)] == [plain_finals[k].usage.prompt_tokens
                                                                 for k in range(10)]


@pytest.mark.parametrize("tuning", [Tuning(encode_ahead=True), Tuning(read_ahead=True)], ids=["encode", "read"])
def test_images_encoded_ahead_reach_the_disk_cache(tuning: Tuning, test_models: GeneratedModels, pictures: list[Path],
                                                   tmp_path: Path) -> None:
    """With the engine's disk cache (the window's engine has one), an image encoded ahead (alone, or with its
    prompt read ahead) is written like any other: after a restart, a question about it encodes nothing."""
    cache = DiskCache(tmp_path / "cache", 64 * 1024**2)
    with LocalEngine(cache=cache) as e:
        e.load(spec(test_models, parallel=4, tuning=tuning))
        _, finals, _ = collect_parallel(e.chat_parallel(
            [ParallelRequest(i, [Message.user("Describe it.", p)], GREEDY) for i, p in enumerate(pictures[:6])]))
    assert finals[5].usage.images_encoded_ahead == 1
    with LocalEngine(cache=cache) as again:
        again.load(spec(test_models))
        _, fin, _ = run(again, [Message.user("Describe it.", pictures[5])])
    assert (fin.usage.images_encoded, fin.usage.images_reused) == (0, 1)


@pytest.fixture(scope="module")
def reader4(test_models: GeneratedModels) -> Iterator[LocalEngine]:
    """Four slots whose waiting requests' prompts are read in a second context (``Tuning.read_ahead``)."""
    with LocalEngine() as e:
        e.load(spec(test_models, parallel=4, tuning=Tuning(read_ahead=True)))
        yield e


def test_prompts_read_ahead_give_the_answers_of_the_plain_path(reader4: LocalEngine, slots4: LocalEngine,
                                                                pictures: list[Path]) -> None:
    """Ten requests, four slots: the six that wait are read in the second context and copied into their
    slots, which feed the held-back last prompt token in their first step; every answer, stop reason and
    token count equals the plain path's (f32 on the CPU), a stop string and a seeded sampler included."""
    samplings = [SamplingParams(temperature=0.0, max_tokens=10 + i, repeat_penalty=1.0) for i in range(7)]
    samplings += [SamplingParams(temperature=0.9, seed=7, max_tokens=8, top_k=20),
                  SamplingParams(temperature=0.0, max_tokens=12, repeat_penalty=1.3, stop=("e",)),
                  SamplingParams(temperature=0.0, max_tokens=9, repeat_penalty=1.0)]
    requests = [ParallelRequest(i, [Message.user(f"Describe picture {i}.", p)], s)
                for i, (p, s) in enumerate(zip(pictures, samplings, strict=True))]
    texts, finals, _ = collect_parallel(reader4.chat_parallel(requests))
    plain_texts, plain_finals, _ = collect_parallel(slots4.chat_parallel(requests))
    assert texts == plain_texts and len(texts) == 10
    for k in range(10):
        f, g = finals[k], plain_finals[k]
        assert f.error is None and f.stop_reason is g.stop_reason, k
        assert (f.usage.prompt_tokens, f.usage.completion_tokens) == (g.usage.prompt_tokens, g.usage.completion_tokens)
        assert f.usage.images_encoded == 1
    assert {k for k, f in finals.items() if f.usage.images_encoded_ahead} == set(range(4, 10))


def test_a_prompt_too_long_read_ahead_fails_alone(reader4: LocalEngine, pictures: list[Path]) -> None:
    """The reading's error is its request's: ``ContextOverflow`` for request 6; the others answer."""
    requests = [ParallelRequest(i, [Message.user("word " * 1500 if i == 6 else "Describe it.", pictures[i])], GREEDY)
                for i in range(8)]
    texts, finals, _ = collect_parallel(reader4.chat_parallel(requests))
    assert isinstance(finals[6].error, ContextOverflow)
    assert all(finals[k].error is None and texts[k] for k in range(8) if k != 6)


@pytest.mark.parametrize("ahead", ["ahead4", "reader4"])
def test_cancel_with_work_ahead_leaves_an_engine_that_answers(ahead: str, pictures: list[Path],
                                                              request: pytest.FixtureRequest) -> None:
    """Cancel with images encoded ahead (``ahead4``) or prompts read ahead (``reader4``) still queued."""
    engine: LocalEngine = request.getfixturevalue(ahead)
    long = SamplingParams(temperature=0.0, max_tokens=100_000, repeat_penalty=1.0)
    cancel = CancelToken()
    requests = [ParallelRequest(i, [Message.user("Describe it again.", p)], long) for i, p in enumerate(pictures)]
    finals: dict[int, Finished] = {}
    for key, event in engine.chat_parallel(requests, cancel):
        if isinstance(event, TextDelta) and not cancel.cancelled:
            cancel.cancel()
        elif isinstance(event, Finished):
            finals[key] = event
    assert finals and all(f.stop_reason is StopReason.CANCELLED for f in finals.values())
    texts, again, _ = collect_parallel(engine.chat_parallel(
        [ParallelRequest(i, [Message.user("And now?", p)], GREEDY) for i, p in enumerate(pictures[:7])]))
    assert len(texts) == 7 and all(f.error is None for f in again.values())
