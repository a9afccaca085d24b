"""M-RoPE (Qwen2.5-VL, Qwen3-VL): an image takes fewer positions than KV cells; the context is counted in cells.

A 160x160 image is 400 tokens in 20 positions for the generated Qwen pairs: the prompt's last
position says ~80, the KV cache holds ~460 entries. The context limit is a number of cells.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from visiondesk.engine import ContextOverflow, Message, ModelSpec, SamplingParams, StopReason
from visiondesk.engine.llama import LocalEngine

from tests.engine.conftest import run
from tests.families.families import FAMILIES_BY_NAME
from tests.families.projectors import VisionSpec

QWEN = ("qwen2.5-vl", "qwen3-vl")


@pytest.fixture(scope="module", params=QWEN)
def qwen(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return FAMILIES_BY_NAME[request.param].write(tmp_path_factory.mktemp("qwen"))


def picture(folder: Path, w: int, h: int) -> Path:
    img = Image.new("RGB", (w, h), (40, 90, 200))
    for x in range(0, w, 3):
        img.putpixel((x, (x * 7) % h), (255, 255, 255))
    img.save(folder / f"{w}x{h}.png")
    return folder / f"{w}x{h}.png"


@pytest.mark.parametrize("name", QWEN)
def test_the_image_geometry_is_what_the_test_assumes(name: str) -> None:
    v: VisionSpec = FAMILIES_BY_NAME[name].vision
    assert v.patch_size * 2 == 8  # one token per 8x8 pixels: 160x160 -> 400 tokens, 20 positions


def test_an_image_larger_than_the_context_is_refused_clearly(qwen: tuple[Path, Path], tmp_path: Path) -> None:
    model, mmproj = qwen
    spec = ModelSpec(model=model, mmproj=mmproj, n_ctx=256, threads=1)
    with LocalEngine() as e:
        e.load(spec)
        _, fin, _ = run(e, [Message.user("What is it?", picture(tmp_path, 160, 160))])
        assert isinstance(fin.error, ContextOverflow), fin.error
        text, ok, _ = run(e, [Message.user("And now?", picture(tmp_path, 32, 32))])
        assert ok.error is None and text


def test_generation_stops_at_the_end_of_the_context(qwen: tuple[Path, Path], tmp_path: Path) -> None:
    model, mmproj = qwen
    spec = ModelSpec(model=model, mmproj=mmproj, n_ctx=256, threads=1)
    with LocalEngine() as e:
        e.load(spec)
        # 120x96: 180 tokens in 15 positions; with the template ~240 cells, leaving room for ~15 tokens.
        _, fin, _ = run(e, [Message.user("What is it?", picture(tmp_path, 120, 96))],
                        SamplingParams(temperature=0, max_tokens=200, repeat_penalty=1.0))
        assert fin.error is None, fin.error
        assert fin.stop_reason is StopReason.LENGTH
        assert 0 < fin.usage.completion_tokens < 200
        # Usage counts tokens: the prompt and the answer fill the context's cells, although the last position
        # is far lower.
        assert fin.usage.prompt_tokens > 180
        assert fin.usage.prompt_tokens + fin.usage.completion_tokens == 256
        assert fin.usage.prompt_tokens_evaluated == fin.usage.prompt_tokens
