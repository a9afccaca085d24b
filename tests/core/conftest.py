"""Fixtures for the core (store, export, settings, paths): isolated data dirs, real images, a deterministic clock."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from visiondesk.core.store import ConversationStore


class Clock:
    """Strictly increasing fake time, so 'newest first' never depends on timer resolution."""

    def __init__(self) -> None:
        self._ticks = itertools.count(1_700_000_000)

    def __call__(self) -> float:
        return float(next(self._ticks))


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("VISIONDESK_DATA_DIR", str(data))
    return data


@pytest.fixture
def store_factory(tmp_path: Path) -> Iterator[Callable[[], ConversationStore]]:
    opened: list[ConversationStore] = []

    def make() -> ConversationStore:
        store = ConversationStore(tmp_path / "db" / "conv.sqlite3", tmp_path / "att", clock=Clock())
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(store_factory: Callable[[], ConversationStore]) -> ConversationStore:
    return store_factory()
