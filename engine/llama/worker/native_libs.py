"""Load ggml's backend modules from the library folder of a distribution build, before llama_cpp is imported.

The distribution build (packaging/llama_dist.py, ``GGML_BACKEND_DL=ON``) ships the CPU backend as one module
per x86 level (``libggml-cpu-haswell.so``, ...) and GPU backends as modules (``libggml-vulkan.so``). ggml
looks for modules only beside the executable and in the current directory; in the engine's child the
executable is Python or the frozen app, so nothing would be found and llama.cpp would have no CPU backend.
``load_backends`` loads them from the folder llama-cpp-python takes its libraries from (``LLAMA_CPP_LIB_PATH``,
else its package's ``lib``). It must run before ``import llama_cpp``: that import calls
``llama_backend_init``, which loads backends only while none is registered, and from the wrong places.

A development build links its one CPU backend into libggml and has no modules: nothing is loaded or changed.
"""

from __future__ import annotations

import ctypes
import importlib.util
import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)

# ggml's names per platform: its library, the CPU variant modules, the Vulkan module and the system's Vulkan loader.
if sys.platform == "win32":
    GGML_LIBRARY, CPU_MODULES, VULKAN_MODULE, VULKAN_LOADER = (
        "ggml.dll", "ggml-cpu-*.dll", "ggml-vulkan.dll", "vulkan-1.dll")
elif sys.platform == "darwin":
    GGML_LIBRARY, CPU_MODULES, VULKAN_MODULE, VULKAN_LOADER = (
        "libggml.dylib", "libggml-cpu-*.so", "libggml-vulkan.so", "libvulkan.1.dylib")
else:
    GGML_LIBRARY, CPU_MODULES, VULKAN_MODULE, VULKAN_LOADER = (
        "libggml.so", "libggml-cpu-*.so", "libggml-vulkan.so", "libvulkan.so.1")

_loaded_from: Path | None = None


def library_dir() -> Path | None:
    """The folder llama-cpp-python will load libllama from, found without importing it (None if not installed)."""
    override = os.environ.get("LLAMA_CPP_LIB_PATH")
    if override:
        return Path(override)
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "lib"


def cpu_modules(folder: Path) -> list[Path]:
    """The CPU backend variants in ``folder``: empty for a build with its CPU backend linked in."""
    return sorted(folder.glob(CPU_MODULES))


def load_backends() -> Path | None:
    """Register the backend modules of a distribution build; returns their folder, or None for other builds.

    Idempotent: a second call, or a call after llama.cpp registered backends itself, loads nothing more.
    """
    global _loaded_from
    folder = library_dir()
    if _loaded_from is not None or folder is None or not cpu_modules(folder):
        return _loaded_from
    ggml = ctypes.CDLL(str(folder / GGML_LIBRARY))
    ggml.ggml_backend_reg_count.restype = ctypes.c_size_t
    ggml.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
    ggml.ggml_backend_load_all_from_path.restype = None
    if ggml.ggml_backend_reg_count() == 0:
        ggml.ggml_backend_load_all_from_path(os.fsencode(folder))
        log.info("loaded %d ggml backend(s) from %s", ggml.ggml_backend_reg_count(), folder)
    _loaded_from = folder
    return folder


def loaded_from() -> Path | None:
    """The folder ``load_backends`` loaded modules from in this process, or None."""
    return _loaded_from
