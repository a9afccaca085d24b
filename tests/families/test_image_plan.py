""""What the model sees" and the image budget, on the generated families.

``LocalEngine.plan`` asks libmtmd to tokenize the prompt's images without encoding them: its counts
must be what the chat then reports in ``Usage.prompt_tokens``. The image budget (``image_max_tokens``)
changes how many tokens a native-resolution family (Qwen2.5-VL) gives the same image.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from visiondesk.engine import ImageSource, Message, ModelSpec
from visiondesk.engine.image_plan import ImagePlan
from visiondesk.engine.llama import LocalEngine

from tests.engine.conftest import run
from tests.families.families import FAMILIES_BY_NAME


@pytest.fixture(scope="module")
def pairs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModelSpec]:
    """Generated pairs of a native-resolution, a fixed-size and a tiling family."""
    d = tmp_path_factory.mktemp("plan-families")
    out = {}
    for name in ("qwen2.5-vl", "gemma3", "minicpm-v"):
        model, mmproj = FAMILIES_BY_NAME[name].write(d / name)
        out[name] = ModelSpec(model=model, mmproj=mmproj, n_ctx=2048, threads=1)
    return out


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A small and a mid-size picture (for these tiny projectors, 256 px is mid-size)."""
    d = tmp_path_factory.mktemp("plan-pictures")
    out = {}
    for name, size in (("small", (64, 48)), ("mid", (256, 192))):
        img = Image.new("RGB", size, (40, 120, 200))
        for x in range(0, size[0], 5):
            img.putpixel((x, (x * 7) % size[1]), (255, 255, 0))
        img.save(d / f"{name}.png")
        out[name] = d / f"{name}.png"
    return out


@pytest.fixture
def qwen(pairs: dict[str, ModelSpec]) -> Iterator[LocalEngine]:
    """An engine on the generated Qwen2.5-VL pair."""
    with LocalEngine() as e:
        e.load(pairs["qwen2.5-vl"])
        yield e


def _answered_prompt_tokens(engine: LocalEngine, messages: list[Message]) -> tuple[int, int]:
    engine.reset_conversation()
    _, fin, _ = run(engine, messages)
    assert fin.error is None and fin.usage is not None, fin.error
    return fin.usage.prompt_tokens, fin.usage.prompt_tokens_evaluated


def test_plan_counts_what_the_chat_then_evaluates(qwen: LocalEngine, pictures: dict[str, Path]) -> None:
    for name in ("small", "mid"):
        messages = [Message.user("What is in this picture?", pictures[name])]
        plan = qwen.plan(messages)
        assert plan.prompt_tokens == plan.text_tokens + plan.images[0].n_tokens
        assert _answered_prompt_tokens(qwen, messages) == (plan.prompt_tokens, plan.prompt_tokens)
    small = qwen.image_plan(ImageSource(path=pictures["small"]))
    mid = qwen.image_plan(ImageSource(path=pictures["mid"]))
    assert mid.n_tokens > small.n_tokens  # native resolution: the larger picture takes more tokens
    assert mid.n_positions < mid.n_tokens  # M-RoPE: fewer positions than tokens
    assert mid.input_size == (256, 192)  # 8 px per token side (patch 4, merged 2 x 2): read at its own size
    assert mid.pictures == 1 and mid.n_slices == 0
    _check_preview(mid)


def test_a_larger_budget_gives_the_same_image_more_tokens(pairs: dict[str, ModelSpec],
                                                          pictures: dict[str, Path]) -> None:
    messages = [Message.user("Read the small print.", pictures["mid"])]
    counts = {}
    for budget in (64, 512):
        spec = ModelSpec(**{**pairs["qwen2.5-vl"].__dict__, "image_max_tokens": budget})
        with LocalEngine() as e:
            e.load(spec)
            plan = e.plan(messages)
            counts[budget] = plan.images[0].n_tokens
            assert _answered_prompt_tokens(e, messages)[0] == plan.prompt_tokens
            print(f"\nimage_max_tokens={budget}: {plan.images[0].describe()}; prompt {plan.prompt_tokens} tokens")
    assert counts[64] <= 64 + 2  # the image's own tokens within the budget, plus its two marker tokens
    assert counts[512] > 2 * counts[64]


def test_fixed_size_and_tiling_families(pairs: dict[str, ModelSpec], pictures: dict[str, Path]) -> None:
    with LocalEngine() as e:
        e.load(pairs["gemma3"])
        gemma = e.image_plan(ImageSource(path=pictures["mid"]))
        messages = [Message.user("And this?", pictures["mid"])]
        assert _answered_prompt_tokens(e, messages)[0] == e.plan(messages).prompt_tokens
    assert gemma.input_size == (32, 32)  # every picture squashed into the projector's square
    assert gemma.pictures == 1
    _check_preview(gemma)
    with LocalEngine() as e:
        e.load(pairs["minicpm-v"])
        sliced = e.image_plan(ImageSource(path=pictures["mid"]))
        messages = [Message.user("And this?", pictures["mid"])]
        assert _answered_prompt_tokens(e, messages)[0] == e.plan(messages).prompt_tokens
    assert sliced.n_slices >= 2 and sliced.input_size == (28, 28)  # an overview plus tiles of 28 px
    _check_preview(sliced)
    assert sliced.preview_size[0] > sliced.preview_size[1]  # the overview next to the tiled picture


def _check_preview(plan: ImagePlan) -> None:
    w, h = plan.preview_size
    assert 0 < w <= 2 * 160 + 4 and 0 < h <= 160
    assert len(plan.preview) == w * h * 3
    assert len(set(plan.preview)) > 2  # a picture, not a blank
