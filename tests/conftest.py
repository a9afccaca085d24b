"""Shared fixtures: generated models, an isolated data directory for every test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.model_factory import GeneratedModels, write_test_models


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Never touch the user's real data directory or Hugging Face cache."""
    data = tmp_path / "visiondesk-data"
    monkeypatch.setenv("VISIONDESK_DATA_DIR", str(data))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    yield data


@pytest.fixture(scope="session")
def test_models(tmp_path_factory: pytest.TempPathFactory) -> GeneratedModels:
    """The tiny generated model set, written once per test session."""
    return write_test_models(tmp_path_factory.mktemp("models"))
