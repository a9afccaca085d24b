"""Engines loaded on the generated models, shared per module to keep the suite fast."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from visiondesk.engine import Finished, Message, ModelSpec, SamplingParams, TextDelta
from visiondesk.engine.llama import LocalEngine

from tests.model_factory import GeneratedModels, TextShape, VisionShape, write_mmproj, write_text_model

GREEDY = SamplingParams(temperature=0.0, max_tokens=16, repeat_penalty=1.0)


@pytest.fixture(scope="session")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A few real image files."""
    d = tmp_path_factory.mktemp("images")
    out = {}
    for name, color in {"red": (220, 30, 30), "blue": (30, 30, 220), "green": (30, 200, 60)}.items():
        img = Image.new("RGB", (64, 48), color)
        for x in range(0, 64, 8):  # some structure, so encodings differ beyond the mean colour
            img.putpixel((x, x % 48), (255, 255, 255))
        img.save(d / f"{name}.png")
        out[name] = d / f"{name}.png"
    return out


def spec(models: GeneratedModels, **kw: object) -> ModelSpec:
    """The tiny chat model with its projector, one thread (steadier on 2 shared cores)."""
    base: dict[str, object] = {"model": models.model, "mmproj": models.mmproj, "n_ctx": 1024, "threads": 1}
    base.update(kw)
    return ModelSpec(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def engine(test_models: GeneratedModels) -> Iterator[LocalEngine]:
    """A loaded engine on the tiny vision model."""
    with LocalEngine() as e:
        e.load(spec(test_models))
        yield e


@pytest.fixture(scope="session")
def medium_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A slower pair (576-token images, wider layers) so a stage lasts long enough to cancel inside it."""
    return write_pair(tmp_path_factory.mktemp("medium"), "medium",
                      TextShape(n_embd=256, n_layer=4, n_head=4, n_ff=768),
                      VisionShape(image_size=336, patch_size=14, n_embd=384, n_layer=8, n_head=6, n_ff=1024))


def write_pair(folder: Path, name: str, text: TextShape, vision: VisionShape) -> tuple[Path, Path]:
    """A text model of shape ``text`` and its projector (as wide as the model), written into ``folder``."""
    model = write_text_model(folder / f"{name}.gguf", shape=text)
    return model, write_mmproj(folder / f"{name}-mmproj.gguf", projection_dim=text.n_embd, shape=vision)


def run(engine: LocalEngine, messages: list[Message], sampling: SamplingParams = GREEDY,
        **kw: object) -> tuple[str, Finished, list[object]]:
    """Consume a chat stream: (text, final event, all events)."""
    events = list(engine.chat(messages, sampling, **kw))  # type: ignore[arg-type]
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    final = events[-1]
    assert isinstance(final, Finished)
    return text, final, events


def collect_parallel(
        events: Iterator[tuple[int, object]]) -> tuple[dict[int, str], dict[int, Finished], list[tuple[int, str]]]:
    """Consume a parallel job's stream: texts and final events by key, and the order of (key, "text"|"done")."""
    texts: dict[int, str] = {}
    finals: dict[int, Finished] = {}
    order: list[tuple[int, str]] = []
    for key, event in events:
        if isinstance(event, TextDelta):
            texts[key] = texts.get(key, "") + event.text
            order.append((key, "text"))
        elif isinstance(event, Finished):
            assert key not in finals, f"request {key} finished twice"
            finals[key] = event
            order.append((key, "done"))
    return texts, finals, order


def process_gone(pid: int) -> bool:
    """Whether ``pid`` has exited: no such process, or a zombie nobody reaped yet (Linux)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return True


def wait_gone(pid: int, within_s: float) -> bool:
    """Poll until ``pid`` is gone; False if it still runs after ``within_s``."""
    until = time.monotonic() + within_s
    while not process_gone(pid):
        if time.monotonic() > until:
            return False
        time.sleep(0.02)
    return True
