"""The distribution build of llama.cpp (packaging/llama_dist.py), built once and cached, for the ``dist`` tests.

A cold build of the CPU flavour takes minutes (see packaging/README.md, "llama.cpp for distribution"); later
sessions reuse ``~/.cache/visiondesk/llama-dist-<version>-cpu``.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def llama_dist() -> ModuleType:
    """packaging/llama_dist.py as a module (the folder's name would shadow PyPI's ``packaging``)."""
    loaded = sys.modules.get("llama_dist")
    if loaded:
        return loaded
    spec = importlib.util.spec_from_file_location("llama_dist", ROOT / "packaging" / "llama_dist.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["llama_dist"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def dist_cpu_lib() -> Path:
    """The CPU-only distribution build's library folder (built, niced, on first use)."""
    lib: Path = llama_dist().build("cpu")
    return lib


def lib_env(monkeypatch: pytest.MonkeyPatch, lib: Path) -> None:
    """Point llama-cpp-python (in engine children started from now on) at ``lib``."""
    for key, value in llama_dist().python_package_env(lib).items():
        monkeypatch.setenv(key, value)


def copy_without(lib: Path, module: str, into: Path) -> Path:
    """A copy of ``lib`` without ``module`` (hard links where the file system allows)."""
    into.mkdir(parents=True)
    for item in lib.iterdir():
        if item.name != module:
            try:
                (into / item.name).hardlink_to(item)
            except OSError:
                shutil.copy2(item, into / item.name)
    return into
