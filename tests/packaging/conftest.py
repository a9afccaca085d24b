"""The distribution build of llama.cpp (packaging/llama_dist.py), built once and cached, for the ``dist`` tests.

A cold build of the CPU flavour takes minutes (see packaging/README.md, "llama.cpp for distribution"); later
sessions reuse ``~/.cache/visiondesk/llama-dist-<version>-cpu``.
"""

from __future__ import annotations

import shutil
from collections.abc import Collection
from pathlib import Path

import pytest

from tests.llama_dist_module import llama_dist

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def dist_cpu_lib() -> Path:
    """The CPU-only distribution build's library folder (built, niced, on first use)."""
    lib: Path = llama_dist().build("cpu")
    return lib


def lib_env(monkeypatch: pytest.MonkeyPatch, lib: Path) -> None:
    """Point llama-cpp-python (in engine children started from now on) at ``lib``."""
    for key, value in llama_dist().python_package_env(lib).items():
        monkeypatch.setenv(key, value)


def copy_without(lib: Path, modules: Collection[str], into: Path) -> Path:
    """A copy of ``lib`` without the files named in ``modules`` (hard links where the file system allows)."""
    into.mkdir(parents=True)
    for item in lib.iterdir():
        if item.name not in modules:
            try:
                (into / item.name).hardlink_to(item)
            except OSError:
                shutil.copy2(item, into / item.name)
    return into


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``dist_vulkan`` tests run only when asked for by name (``-m dist_vulkan``): a cold vulkan build takes
    most of an hour on 2 cores, more than a CI run should spend unasked."""
    if "dist_vulkan" in (config.getoption("markexpr") or ""):
        return
    deselected = [item for item in items if item.get_closest_marker("dist_vulkan")]
    if deselected:
        items[:] = [item for item in items if not item.get_closest_marker("dist_vulkan")]
        config.hook.pytest_deselected(items=deselected)
