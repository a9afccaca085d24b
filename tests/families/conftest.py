"""Generated pairs for every vision family, and engines on them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from visiondesk.engine import Message, ModelSpec
from visiondesk.engine.llama import LocalEngine

from tests.engine.conftest import run
from tests.families.families import FAMILIES, Family


@pytest.fixture(scope="session")
def family_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where this session writes the family pairs."""
    return tmp_path_factory.mktemp("families")


@pytest.fixture(scope="session")
def photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Images of a few sizes and shapes: slicing families cut the large ones into tiles."""
    d = tmp_path_factory.mktemp("photos")
    out = {}
    for name, color, size in (("red", (220, 30, 30), (64, 48)), ("blue", (30, 30, 220), (64, 48)),
                              ("tall", (30, 200, 60), (40, 72))):
        img = Image.new("RGB", size, color)
        for x in range(0, size[0], 4):  # structure, so encodings differ beyond the mean colour
            img.putpixel((x, (x * 3) % size[1]), (255, 255, 255))
        img.save(d / f"{name}.png")
        out[name] = d / f"{name}.png"
    return out


@pytest.fixture(scope="module", params=FAMILIES, ids=lambda f: f.name)
def family(request: pytest.FixtureRequest, family_dir: Path) -> tuple[Family, ModelSpec]:
    """Each family's generated pair, written once, as a one-thread ModelSpec."""
    fam: Family = request.param
    model, mmproj = fam.write(family_dir / fam.name)
    return fam, ModelSpec(model=model, mmproj=mmproj, n_ctx=1024, threads=1)


@pytest.fixture
def fresh(family: tuple[Family, ModelSpec]) -> Iterator[LocalEngine]:
    """A freshly loaded engine on the family's pair."""
    with LocalEngine() as e:
        e.load(family[1])
        yield e


def cold(spec: ModelSpec, messages: list[Message]) -> str:
    """The greedy answer of a new engine that has seen nothing before."""
    with LocalEngine() as e:
        e.load(spec)
        text, fin, _ = run(e, messages)
        assert fin.error is None, fin.error
        return text
