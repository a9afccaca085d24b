"""Sliced images (SmolVLM, MiniCPM-V, InternVL): one picture is several chunks, and the caches count pictures."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PIL import Image
from visiondesk.engine import Message, ModelSpec, Stage, StageChanged
from visiondesk.engine.llama import LocalEngine

from tests.engine.conftest import run
from tests.families.families import FAMILIES, Family

SLICING = [f for f in FAMILIES if f.slices]


@pytest.fixture(scope="module", params=SLICING, ids=lambda f: f.name)
def sliced(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Family, ModelSpec]:
    fam: Family = request.param
    model, mmproj = fam.write(tmp_path_factory.mktemp(fam.name))
    return fam, ModelSpec(model=model, mmproj=mmproj, n_ctx=1024, threads=1)


def pictures(folder: Path, n: int) -> list[Path]:
    out = []
    for i in range(n):
        img = Image.new("RGB", (64, 48), (40 * i, 100, 200 - 30 * i))
        img.putpixel((i, i), (255, 255, 255))
        img.save(folder / f"p{i}.png")
        out.append(folder / f"p{i}.png")
    return out


def test_the_embedding_store_holds_pictures_not_slices(sliced: tuple[Family, ModelSpec], tmp_path: Path) -> None:
    """``embedding_cache_images`` pictures, each of several slices, come back without the encoder."""
    _, spec = sliced
    spec = dataclasses.replace(spec, embedding_cache_images=3)
    photos = pictures(tmp_path, 4)
    with LocalEngine() as e:
        e.load(spec)
        for p in photos[:3]:  # three conversations, one picture each
            _, f, _ = run(e, [Message.user("What is it?", p)])
            assert f.usage.images_encoded == 1
        _, back, events = run(e, [Message.user("What is it?", photos[0])])
        assert back.usage.images_encoded == 0 and back.usage.images_reused == 1
        assert not any(isinstance(ev, StageChanged) and ev.stage is Stage.ENCODING_IMAGE for ev in events)
        _, fourth, _ = run(e, [Message.user("What is it?", photos[3])])  # evicts the least recent picture
        assert fourth.usage.images_encoded == 1
        _, evicted, _ = run(e, [Message.user("What is it?", photos[1])])
        assert evicted.usage.images_encoded == 1
