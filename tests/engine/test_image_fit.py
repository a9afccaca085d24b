"""How large a prepared image needs to be, read from each family's projector header."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from visiondesk.engine import ImageSource
from visiondesk.engine.gguf_header import read_gguf_info
from visiondesk.engine.image_fit import (
    DEFAULT_LONG_SIDE,
    DEFAULT_TARGET,
    LARGEST_PIXELS,
    SMALLEST_PIXELS,
    ImageTarget,
    target_for,
    useful_pixels,
)
from visiondesk.engine.llama import LocalEngine

from tests.families.families import FAMILIES


def test_size_for_keeps_the_shape_and_never_enlarges() -> None:
    t = ImageTarget(long_side=1000, max_pixels=400_000)
    assert t.size_for(800, 400) == (800, 400)  # fits: untouched
    w, h = t.size_for(8000, 6000)
    assert w * h <= 400_000 and abs(w / h - 4 / 3) < 0.01
    assert t.size_for(20000, 100) == (1000, 5)  # a panorama is bound by its long side
    assert DEFAULT_TARGET.size_for(16330, 12247)[0] == DEFAULT_LONG_SIDE


def test_unknown_model_gets_the_default() -> None:
    assert target_for(None) == DEFAULT_TARGET


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_every_family_gets_a_bounded_target_with_a_margin(family, tmp_path: Path) -> None:
    _, mmproj = family.write(tmp_path)
    info = read_gguf_info(mmproj, what="projector")
    target = target_for(info)
    assert SMALLEST_PIXELS <= target.max_pixels <= LARGEST_PIXELS
    assert target.max_pixels >= min(LARGEST_PIXELS, 4 * useful_pixels(info))  # twice each side the model reads


def test_a_larger_budget_raises_the_target_of_native_resolution_families(tmp_path: Path) -> None:
    qwen = next(f for f in FAMILIES if f.name == "qwen2.5-vl")
    _, mmproj = qwen.write(tmp_path)
    info = read_gguf_info(mmproj, what="projector")
    assert useful_pixels(info, 100_000) > useful_pixels(info)


def test_the_engine_prepares_images_for_its_projector(engine: LocalEngine, tmp_path: Path) -> None:
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (8000, 6000), (90, 120, 30)).save(photo, quality=80)
    plan = engine.image_plan(ImageSource(path=photo))  # the tiny LLaVA-style projector reads 32 x 32
    assert plan.width * plan.height <= SMALLEST_PIXELS and abs(plan.width / plan.height - 4 / 3) < 0.01
    assert plan.input_size == (32, 32) and plan.n_tokens == 16
