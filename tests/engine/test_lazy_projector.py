"""The projector opens at the first image that needs it (Tuning.lazy_projector, the default), not at load.

What the engine process read is taken from the kernel (``/proc/<pid>/io``, ``rchar``: bytes read by read
calls; the text model is memory-mapped and does not count, libmtmd reads the projector with read calls).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
from visiondesk.engine import EngineCrashed, Message, ModelSpec, Stage, StageChanged, Tuning
from visiondesk.engine.attachments import attach_image
from visiondesk.engine.errors import ModelLoadFailed
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.pixel_cache import PixelCache
from visiondesk.engine.requests import ImageSource

from tests.engine.conftest import run, spec
from tests.model_factory import GeneratedModels, write_mmproj


def bytes_read(pid: int | None) -> int:
    """Bytes the process has read so far (``rchar`` of ``/proc/<pid>/io``)."""
    assert pid is not None
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar line")


def stages(events: list[object]) -> list[Stage]:
    return [e.stage for e in events if isinstance(e, StageChanged)]


@pytest.fixture(scope="module")
def medium_spec(medium_models: tuple[Path, Path]) -> ModelSpec:
    """The medium pair: a projector of ~30 MB, far more than anything else a request reads."""
    model, mmproj = medium_models
    return ModelSpec(model=model, mmproj=mmproj, n_ctx=2048, threads=1)


def test_text_answers_without_reading_the_projector(medium_spec: ModelSpec) -> None:
    size = medium_spec.mmproj.stat().st_size if medium_spec.mmproj else 0
    with LocalEngine() as e:
        result = e.load(medium_spec)
        assert result.vision is True, "the header says it sees images, before the projector is opened"
        assert result.projector_deferred is True
        before = bytes_read(e.pid)
        _, fin, events = run(e, [Message.user("Hello, how are you?")])
        assert fin.error is None and fin.usage.completion_tokens > 0
        assert fin.timings.projector_load_ms == 0 and Stage.LOADING not in stages(events)
        assert bytes_read(e.pid) - before < size // 10, "a text answer must not read the projector"


def test_first_image_opens_the_projector_then_answers(medium_spec: ModelSpec, images: dict[str, Path]) -> None:
    size = medium_spec.mmproj.stat().st_size if medium_spec.mmproj else 0
    with LocalEngine() as e:
        e.load(medium_spec)
        assert run(e, [Message.user("First, some text.")])[1].error is None
        before = bytes_read(e.pid)
        _, fin, events = run(e, [Message.user("What is this?", images["red"])])
        assert fin.error is None and fin.usage.images_encoded == 1 and fin.usage.completion_tokens > 0
        assert fin.timings.projector_load_ms > 0, "the first image's request says what opening the projector took"
        seen = stages(events)
        assert seen[0] is Stage.LOADING and seen.index(Stage.LOADING) < seen.index(Stage.ENCODING_IMAGE)
        assert bytes_read(e.pid) - before >= size * 0.9, "libmtmd read the projector for this image"
        _, again, events = run(e, [Message.user("And this one?", images["blue"])])
        assert again.error is None and again.usage.images_encoded == 1
        assert again.timings.projector_load_ms == 0 and Stage.LOADING not in stages(events)


def test_measuring_an_image_opens_the_projector(test_models: GeneratedModels, images: dict[str, Path]) -> None:
    with LocalEngine() as e:
        e.load(spec(test_models))
        assert e.plan([Message.user("What is this?", images["green"])]).images[0].n_tokens > 0
        _, fin, events = run(e, [Message.user("What is this?", images["green"])])
        assert fin.error is None and fin.timings.projector_load_ms == 0 and Stage.LOADING not in stages(events)


def test_projector_at_load_when_asked(medium_spec: ModelSpec, images: dict[str, Path]) -> None:
    size = medium_spec.mmproj.stat().st_size if medium_spec.mmproj else 0
    with LocalEngine() as e:
        result = e.load(dataclasses.replace(medium_spec, tuning=Tuning(lazy_projector=False)))
        assert result.vision is True and result.projector_deferred is False
        before = bytes_read(e.pid)
        _, fin, events = run(e, [Message.user("What is this?", images["red"])])
        assert fin.error is None and fin.timings.projector_load_ms == 0 and Stage.LOADING not in stages(events)
        assert bytes_read(e.pid) - before < size // 10, "it was read at load"


def renamed_projector_type(path: Path) -> Path:
    """A projector whose header passes every check but names a projector type libmtmd does not know."""
    data = bytearray(path.read_bytes())
    at = data.find((3).to_bytes(8, "little") + b"mlp")
    assert at > 0
    data[at + 8:at + 11] = b"xyz"
    path.write_bytes(data)
    return path


def test_unloadable_projector_fails_each_image_clearly_and_text_goes_on(
        tmp_path: Path, test_models: GeneratedModels, images: dict[str, Path]) -> None:
    odd = renamed_projector_type(write_mmproj(tmp_path / "odd-mmproj.gguf"))
    with LocalEngine() as e:
        e.load(spec(test_models, mmproj=odd))  # the header is fine: the load succeeds
        assert run(e, [Message.user("Text works.")])[1].error is None
        for _ in range(2):  # the failure is remembered: every image request gets it, none crashes
            _, fin, _ = run(e, [Message.user("What is this?", images["red"])])
            assert isinstance(fin.error, ModelLoadFailed)
            assert "odd-mmproj.gguf" in str(fin.error) and "unknown projector type" in str(fin.error)
        assert run(e, [Message.user("Still there?")])[1].error is None


def test_corrupt_projector_crashing_llama_at_first_image(tmp_path: Path, test_models: GeneratedModels,
                                                         images: dict[str, Path]) -> None:
    """A projector missing a required tensor makes libmtmd crash when it is opened: at the first image now."""
    broken = write_mmproj(tmp_path / "broken-mmproj.gguf", omit=("mm.2.weight", "mm.2.bias"))
    with LocalEngine() as e:
        e.load(spec(test_models, mmproj=broken))
        assert run(e, [Message.user("Text first.")])[1].error is None
        _, fin, _ = run(e, [Message.user("What is this?", images["red"])])
        if isinstance(fin.error, EngineCrashed):
            assert "signal" in str(fin.error) or "exited" in str(fin.error)
        else:  # a clean refusal is fine too, as long as it is one of ours
            assert fin.error is not None and ("broken-mmproj.gguf" in str(fin.error) or "projector" in str(fin.error))
        assert run(e, [Message.user("Alive?")])[1].error is None


def test_an_image_attached_ahead_opens_the_projector_before_send(medium_spec: ModelSpec, tmp_path: Path,
                                                                  images: dict[str, Path]) -> None:
    """Encoding ahead (``prepare_images``) of the first image opens the projector while the question is typed."""
    size = medium_spec.mmproj.stat().st_size if medium_spec.mmproj else 0
    pixels = PixelCache(tmp_path / "pixels")
    with LocalEngine(pixels=pixels) as e:
        e.load(medium_spec)
        before = bytes_read(e.pid)
        image = attach_image(ImageSource(path=images["green"]), pixels)[0]
        e.prepare_images([image])
        until = time.monotonic() + 120
        while e.prepared.encoded < 1:
            assert time.monotonic() < until, f"not encoded ahead: {e.prepared}"
            time.sleep(0.05)
        assert bytes_read(e.pid) - before >= size * 0.9, "the projector was read for the image attached"
        _, fin, events = run(e, [Message.user("What is this?", image)])
        assert fin.error is None and fin.usage.images_encoded == 0, "found encoded ahead"
        assert fin.timings.projector_load_ms == 0 and Stage.LOADING not in stages(events)
