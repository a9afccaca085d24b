"""Fixtures for the model-manager tests: isolated data dirs, generated GGUFs and a local fake Hub."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# The fake Hub is on 127.0.0.1: never send that through a proxy from the environment.
os.environ["NO_PROXY"] = "127.0.0.1,localhost"
os.environ["no_proxy"] = "127.0.0.1,localhost"

from visiondesk.core.paths import DataPaths  # noqa: E402
from visiondesk.models.hub import HubClient, Timeouts  # noqa: E402
from visiondesk.models.registry import ModelRegistry  # noqa: E402
from visiondesk.models.transfer import RetryPolicy  # noqa: E402

from tests.models.hf_server import FakeHub  # noqa: E402

FAST_RETRY = RetryPolicy(max_attempts=6, base_delay=0.01, max_delay=0.05)
REPO = "test-org/tiny-vision-GGUF"
MODEL_Q4 = "tiny-vision-Q4_K_M.gguf"
MODEL_Q8 = "tiny-vision-Q8_0.gguf"
MMPROJ = "mmproj-tiny-vision-f16.gguf"


from tests import model_factory  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("VISIONDESK_DATA_DIR", str(data))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return data


@pytest.fixture(scope="session")
def gguf_files(tmp_path_factory: pytest.TempPathFactory) -> object:
    return model_factory.write_test_models(tmp_path_factory.mktemp("gguf"))


BIG_SHAPE = model_factory.TextShape(n_embd=256, n_layer=4, n_head=4, n_head_kv=4, n_ff=512, extra_vocab=1000)


@pytest.fixture(scope="session")
def big_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """~4 MB generated models (two quantizations stand-ins) and their 256-wide projector."""
    d = tmp_path_factory.mktemp("big")
    return {
        MODEL_Q4: model_factory.write_text_model(d / "big.gguf", shape=BIG_SHAPE),
        MODEL_Q8: model_factory.write_text_model(d / "big8.gguf", shape=BIG_SHAPE, seed=1),
        MMPROJ: model_factory.write_mmproj(d / "big-mmproj.gguf", projection_dim=256),
    }


@pytest.fixture
def fake_hub(gguf_files: object, big_files: dict[str, Path],
             monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    g = gguf_files
    with FakeHub() as hub:
        hub.add_repo(REPO, {**big_files, "README.md": b"# tiny\n"}, downloads=100)
        hub.add_repo("test-org/mismatched-GGUF", {"tiny-Q4_K_M.gguf": g.model,  # type: ignore[attr-defined]
                                                  "mmproj-tiny-f16.gguf": g.mismatched_mmproj})  # type: ignore[attr-defined]
        hub.add_repo("test-org/text-only-GGUF", {"tiny-Q4_K_M.gguf": g.model}, downloads=50)  # type: ignore[attr-defined]
        monkeypatch.setenv("HF_ENDPOINT", hub.url)
        yield hub


@pytest.fixture
def hub_client(fake_hub: FakeHub) -> HubClient:
    return HubClient(endpoint=fake_hub.url, timeouts=Timeouts(connect=2.0, read=1.0), retry=FAST_RETRY)


def open_registry() -> ModelRegistry:
    """The registry of the (isolated) data directory, where the app and the command line open it."""
    paths = DataPaths.default()
    return ModelRegistry(paths.model_registry, paths.models)


@pytest.fixture
def registry(isolated_dirs: Path) -> ModelRegistry:
    return open_registry()
