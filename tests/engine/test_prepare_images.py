"""Images encoded while the question is typed (``LocalEngine.prepare_images``), on real llama.cpp.

The child's own report (``LocalEngine.prepared``: images encoded ahead, their encoder time, interruptions)
and each answer's ``Usage`` (``images_encoded``: images run through the encoder in that request) show
what was encoded where.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image
from visiondesk.engine import Message, ModelSpec, SamplingParams, TextDelta
from visiondesk.engine.attachments import attach_image
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.llama.disk_cache import DiskCache
from visiondesk.engine.llama.worker.protocol import PrepareState
from visiondesk.engine.pixel_cache import PixelCache
from visiondesk.engine.requests import ImageAttachment, ImageSource

from tests.engine.conftest import run, spec, write_pair
from tests.model_factory import GeneratedModels, TextShape, VisionShape

SHORT = SamplingParams(temperature=0.0, max_tokens=2, repeat_penalty=1.0)
WAIT_S = 120.0  # a generous bound for background work on the loaded 2-core machine


def wait_for(engine: LocalEngine, done: Callable[[PrepareState], bool], within_s: float = WAIT_S) -> PrepareState:
    """Poll the child's report until ``done`` holds; fails after ``within_s``."""
    until = time.monotonic() + within_s
    while True:
        state = engine.prepared
        if done(state):
            return state
        assert time.monotonic() < until, f"still {state} after {within_s} s"
        time.sleep(0.02)


def picture(folder: Path, name: str, seed: int, size: tuple[int, int] = (64, 48)) -> Path:
    """A small PNG whose pixels differ by ``seed``."""
    img = Image.new("RGB", size, (seed * 37 % 256, seed * 91 % 256, seed * 53 % 256))
    for x in range(0, size[0], 5):
        img.putpixel((x, (x * seed) % size[1]), (255, 255, 255))
    path = folder / f"{name}.png"
    img.save(path)
    return path


class Attacher:
    """Attaches new pictures as the window does: checked, decoded once, their pixels in the engine's cache."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pixels = PixelCache(folder / "pixels")

    def __call__(self, name: str, seed: int, size: tuple[int, int] = (64, 48)) -> ImageAttachment:
        return attach_image(ImageSource(path=picture(self.folder, name, seed, size)), self.pixels)[0]


@pytest.fixture
def attach(tmp_path: Path) -> Attacher:
    return Attacher(tmp_path)


@pytest.fixture
def tiny(test_models: GeneratedModels, attach: Attacher) -> Iterator[LocalEngine]:
    with LocalEngine(pixels=attach.pixels) as e:
        e.load(spec(test_models))
        yield e


@pytest.fixture(scope="module")
def slow_spec(tmp_path_factory: pytest.TempPathFactory) -> ModelSpec:
    """A small, fast decoder with a heavy projector (1,024 patches, 8 blocks): an encode lasts a second or more."""
    model, mmproj = write_pair(tmp_path_factory.mktemp("slow"), "slow",
                               TextShape(n_embd=128, n_layer=2, n_head=4, n_ff=256),
                               VisionShape(image_size=448, patch_size=14, n_embd=384, n_layer=8, n_head=6, n_ff=1152))
    return ModelSpec(model=model, mmproj=mmproj, n_ctx=2048, threads=1)


@pytest.fixture
def slow(slow_spec: ModelSpec, attach: Attacher) -> Iterator[LocalEngine]:
    """An engine with ``slow_spec`` loaded, sharing ``attach``'s pixel cache."""
    with LocalEngine(pixels=attach.pixels) as e:
        e.load(slow_spec)
        yield e


def test_attached_image_is_encoded_once_and_send_reads_only_the_question(
        tiny: LocalEngine, attach: Attacher, test_models: GeneratedModels) -> None:
    image = attach("red", 1)
    tiny.prepare_images([image], history=[])
    state = wait_for(tiny, lambda s: s.prefixes == 1)
    assert state.ready == (image.digest,) and state.encoded == 1 and state.encode_ms > 0
    question = Message.user("What is in the picture?", image)
    text, fin, _ = run(tiny, [question], SHORT)
    assert fin.error is None
    assert fin.usage.images_encoded == 0 and fin.timings.encode_ms == 0  # found encoded, not encoded again
    # The image and the template before it were read ahead: Send evaluated the question's text and the
    # template after it, far fewer tokens than the prompt (the tiny model reads one token per character).
    assert fin.usage.prompt_tokens_evaluated < len("\nWhat is in the picture?<|im_end|>\n<|im_start|>assistant\n") + 4
    assert fin.usage.prompt_tokens - fin.usage.prompt_tokens_evaluated > 16  # the image's 16 tokens at least
    after = wait_for(tiny, lambda s: not s.ready)  # the answer took it over
    assert after.encoded == 1  # still one encode in all
    # The same answer as a cold start (everything read in one request) at temperature 0.
    with LocalEngine(pixels=attach.pixels) as cold:
        cold.load(spec(test_models))
        assert run(cold, [question], SHORT)[0] == text


def test_without_history_the_image_is_encoded_but_the_prompt_read_on_send(
        tiny: LocalEngine, attach: Attacher) -> None:
    image = attach("green", 2)
    tiny.prepare_images([image])
    state = wait_for(tiny, lambda s: image.digest in s.ready)
    assert state.prefixes == 0
    _, fin, _ = run(tiny, [Message.user("And this?", image)], SHORT)
    assert fin.usage.images_encoded == 0 and fin.timings.encode_ms == 0
    assert fin.usage.prompt_tokens_evaluated >= 16  # the image's embeddings were read on Send


def test_attached_then_removed_leaves_nothing_encoded(tiny: LocalEngine,
                                                      attach: Attacher) -> None:
    kept, removed, removed_early = attach("kept", 3), attach("removed", 4), attach("removed-early", 5)
    tiny.prepare_images([removed])
    wait_for(tiny, lambda s: removed.digest in s.ready)
    tiny.prepare_images([kept, removed_early])
    tiny.drop_prepared_images([removed, removed_early])  # one encoded, one (most likely) still queued
    state = wait_for(tiny, lambda s: kept.digest in s.ready and s.dropped == 2)
    assert state.ready == (kept.digest,) and not state.waiting
    # Nothing of the removed images is left in the engine process: an answer about each encodes it.
    for image in (removed, removed_early):
        _, fin, _ = run(tiny, [Message.user("What?", image)], SHORT)
        assert fin.error is None and fin.usage.images_encoded == 1


def test_removed_leaves_nothing_on_disk_either(test_models: GeneratedModels, attach: Attacher,
                                               tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "cache", 64 * 1024**2)
    with LocalEngine(pixels=attach.pixels, cache=cache) as e:
        e.load(spec(test_models))
        kept, removed = attach("disk-kept", 7), attach("disk-removed", 8)
        e.prepare_images([kept, removed])
        wait_for(e, lambda s: len(s.ready) == 2)
        run(e, [Message.user("Hello.")], SHORT)  # a request: what was encoded ahead is written to disk after it
        until = time.monotonic() + WAIT_S
        while len(list((tmp_path / "cache").rglob("*.emb"))) < 2:  # written once the answer is sent
            assert time.monotonic() < until
            time.sleep(0.02)
        e.drop_prepared_images([removed])
        wait_for(e, lambda s: s.dropped == 1)
        assert len(set((tmp_path / "cache").rglob("*.emb"))) == 1
    with LocalEngine(pixels=attach.pixels, cache=cache) as again:  # after a restart: the kept one only
        again.load(spec(test_models))
        for image, encodes in ((kept, 0), (removed, 1)):
            _, fin, _ = run(again, [Message.user("What?", image)], SHORT)
            assert fin.usage.images_encoded == encodes


def test_switching_model_discards_what_was_prepared(tiny: LocalEngine, test_models: GeneratedModels,
                                                    attach: Attacher) -> None:
    image = attach("blue", 6)
    tiny.prepare_images([image], history=[])
    wait_for(tiny, lambda s: s.prefixes == 1)
    tiny.load(spec(test_models, n_ctx=768))  # another model setting: loaded again
    assert tiny.prepared == PrepareState()
    _, fin, _ = run(tiny, [Message.user("What?", image)], SHORT)
    assert fin.usage.images_encoded == 1


def test_prepared_images_stay_within_the_store_bound(test_models: GeneratedModels,
                                                     attach: Attacher) -> None:
    with LocalEngine(pixels=attach.pixels) as e:
        e.load(spec(test_models, embedding_cache_images=2))
        images = [attach(f"many-{i}", 10 + i) for i in range(5)]
        e.prepare_images(images[:3])
        e.prepare_images(images[3:])
        state = wait_for(e, lambda s: not s.waiting and s.encoded + s.dropped >= 5)
        assert len(state.ready) <= 2 and state.ready == tuple(i.digest for i in images[3:])
        _, fin, _ = run(e, [Message.user("What?", images[0])], SHORT)
        assert fin.usage.images_encoded == 1  # not kept: beyond the bound


def test_an_answer_started_during_a_speculative_encode_is_not_delayed(
        slow: LocalEngine, attach: Attacher) -> None:
    first = attach("first", 20, (448, 448))
    slow.prepare_images([first])
    encode_s = wait_for(slow, lambda s: s.encoded == 1).encode_ms / 1000.0  # what one encode takes here
    _, warm, _ = run(slow, [Message.user("Hello there.")], SHORT)
    assert warm.error is None
    image = attach("second", 21, (448, 448))
    slow.prepare_images([image])
    time.sleep(encode_s / 4)  # the encode of ``image`` is under way
    t_call = time.monotonic()
    events = list(slow.chat([Message.user("Another question?")], SHORT))
    first_text = next(ev.t for ev in events if isinstance(ev, TextDelta))
    state = slow.prepared
    # The answer stopped the encode and went first: its first token came in a small part of the time
    # the encode takes (which it would have waited for otherwise).
    assert state.interrupted == 1 and state.encoded == 1
    assert first_text - t_call < encode_s / 3, (first_text - t_call, encode_s)
    # The encode was then done again, after the answer; a question about the image finds it encoded.
    wait_for(slow, lambda s: image.digest in s.ready)
    _, fin, _ = run(slow, [Message.user("What is it?", image)], SHORT)
    assert fin.usage.images_encoded == 0


def test_send_during_its_own_images_encode_waits_for_it_rather_than_encoding_twice(
        slow: LocalEngine, attach: Attacher) -> None:
    image = attach("own", 30, (448, 448))
    slow.prepare_images([image], history=[])
    time.sleep(0.2)
    _, fin, _ = run(slow, [Message.user("What is it?", image)], SHORT)
    state = slow.prepared
    assert fin.error is None and fin.usage.images_encoded == 0
    assert state.encoded == 1 and state.interrupted == 0


def test_a_prompt_measure_stops_an_encode_ahead_only_when_about_other_images(
        slow: LocalEngine, attach: Attacher) -> None:
    slow.prepare_images([attach("measure-first", 40, (448, 448))])
    encode_s = wait_for(slow, lambda s: s.encoded == 1).encode_ms / 1000.0
    # The window's preview measures the pending image again as the question is typed: the encode goes on.
    image = attach("measured", 41, (448, 448))
    slow.prepare_images([image])
    time.sleep(encode_s / 4)
    slow.plan([Message.user("What is it?", image)])
    state = slow.prepared
    assert state.interrupted == 0 and image.digest in state.ready
    # A measure without that image (it was removed, say) goes first.
    slow.prepare_images([attach("measure-third", 42, (448, 448))])
    time.sleep(encode_s / 4)
    t0 = time.monotonic()
    slow.plan([Message.user("What is it?", attach("small", 43))])
    assert time.monotonic() - t0 < encode_s / 3
    assert slow.prepared.interrupted == 1


def test_switching_model_stops_an_encode_ahead(slow_spec: ModelSpec, slow: LocalEngine, attach: Attacher) -> None:
    slow.prepare_images([attach("switch-first", 50, (448, 448))])
    encode_s = wait_for(slow, lambda s: s.encoded == 1).encode_ms / 1000.0
    t0 = time.monotonic()
    slow.load(dataclasses.replace(slow_spec, n_ctx=1024))
    load_s = time.monotonic() - t0  # a load with nothing going on
    slow.prepare_images([attach("switch-second", 51, (448, 448))])
    time.sleep(encode_s / 4)
    t0 = time.monotonic()
    slow.load(slow_spec)
    assert time.monotonic() - t0 < load_s + encode_s / 3  # the load did not wait for the encode
    assert slow.prepared == PrepareState()  # and nothing of it is left


def test_a_purge_stops_an_encode_ahead_only_when_it_is_of_that_image(slow: LocalEngine, attach: Attacher) -> None:
    """From review: ``forget_images`` (a purge) interrupted any encode ahead; now only that image's."""
    slow.prepare_images([attach("purge-first", 60, (448, 448))])
    encode_s = wait_for(slow, lambda s: s.encoded == 1).encode_ms / 1000.0
    image = attach("purge-kept", 61, (448, 448))
    slow.prepare_images([image])
    time.sleep(encode_s / 4)  # under way
    slow.forget_images(["f" * 64])  # another picture: the encode goes on
    state = wait_for(slow, lambda s: image.digest in s.ready)
    assert state.interrupted == 0 and state.encoded == 2
    doomed = attach("purge-doomed", 62, (448, 448))
    slow.prepare_images([doomed])
    time.sleep(encode_s / 4)
    slow.forget_images([doomed.digest])  # this one: stopped, and not queued again
    state = wait_for(slow, lambda s: s.interrupted == 1 and not s.waiting)
    assert doomed.digest not in state.ready and state.encoded == 2
