"""Read from ggml which CPU variant and GPU backend this process runs on, and why (``BackendChoice``).

Everything comes from the running llama.cpp: the registered backends and their devices, the CPU
backend's ``ggml_backend_get_features`` (through ``ggml_backend_reg_get_proc_address``), the CPU module
file mapped into this process (``/proc/self/maps``), and each shipped CPU module's own
``ggml_backend_score`` (0 = this CPU cannot run it), the function ggml itself chose by.
"""

from __future__ import annotations

import _ctypes
import ctypes
import logging
import re
from pathlib import Path

from ..backend_choice import BackendChoice
from . import native_libs
from .devices import Device, backend_name, ggml_function, ggml_libraries, gpu_devices

log = logging.getLogger(__name__)

_VARIANT = re.compile(r"ggml-cpu-([A-Za-z0-9_.]+)\.(?:so|dll)$")


class _Feature(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("value", ctypes.c_char_p)]


def _registered() -> dict[str, int]:
    """Registered backends: name -> number of devices."""
    libs = ggml_libraries()
    count = ggml_function(libs, "ggml_backend_reg_count", ctypes.c_size_t, [])
    get = ggml_function(libs, "ggml_backend_reg_get", ctypes.c_void_p, [ctypes.c_size_t])
    name = ggml_function(libs, "ggml_backend_reg_name", ctypes.c_char_p, [ctypes.c_void_p])
    devs = ggml_function(libs, "ggml_backend_reg_dev_count", ctypes.c_size_t, [ctypes.c_void_p])
    if not all((count, get, name, devs)):
        return {}
    regs = [get(i) for i in range(count())]  # type: ignore[operator]
    return {(name(r) or b"").decode(): devs(r) for r in regs}  # type: ignore[operator]


def cpu_features() -> tuple[str, ...]:
    """The CPU backend's features as ggml lists them (``AVX2``, ``FMA``, ...; switches like ``OPENMP`` dropped)."""
    libs = ggml_libraries()
    by_name = ggml_function(libs, "ggml_backend_reg_by_name", ctypes.c_void_p, [ctypes.c_char_p])
    proc = ggml_function(libs, "ggml_backend_reg_get_proc_address", ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_char_p])
    reg = by_name(b"CPU") if by_name else None  # type: ignore[operator]
    address = proc(reg, b"ggml_backend_get_features") if reg and proc else None  # type: ignore[operator]
    if not address:
        return ()
    get = ctypes.CFUNCTYPE(ctypes.POINTER(_Feature), ctypes.c_void_p)(address)
    features, i = [], 0
    array = get(reg)
    while array[i].name:
        name, value = array[i].name.decode(), (array[i].value or b"").decode()
        if value == "1" and name not in ("OPENMP", "REPACK", "LLAMAFILE", "KLEIDIAI", "ACCELERATE"):
            features.append(name)
        i += 1
    return tuple(features)


def mapped_cpu_module() -> str:
    """The file name of the CPU backend library mapped into this process ('' where /proc is not there)."""
    try:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    names = {Path(line.split(maxsplit=5)[-1]).name for line in maps.splitlines() if "ggml-cpu" in line}
    return min(names, key=len, default="")  # libggml-cpu.so before a versioned libggml-cpu.so.0.25.3


def variant_scores(folder: Path) -> dict[str, int]:
    """Each CPU module in ``folder``: its ``ggml_backend_score`` on this CPU (0: it cannot run here)."""
    scores = {}
    for module in native_libs.cpu_modules(folder):
        found = _VARIANT.search(module.name)
        if not found:
            continue
        lib = ctypes.CDLL(str(module))
        score = getattr(lib, "ggml_backend_score", None)
        scores[found.group(1)] = int(score()) if score is not None else 0
        if hasattr(_ctypes, "dlclose"):  # POSIX; the one in use stays loaded: ggml holds its own handle
            _ctypes.dlclose(lib._handle)
    return scores


def _gpu_reason(folder: Path | None, regs: dict[str, int], gpu_offload: bool) -> str:
    """Why layers stay on the CPU (or, in a development build, which GPU backend was compiled in)."""
    compiled = [name for name in regs if name not in ("CPU", "RPC", "BLAS")]
    if folder is None:  # development build: its GPU backend, if any, is linked in
        if compiled and gpu_offload:
            return f"{compiled[0]} build (dev) — no {compiled[0]} device found, running on the CPU"
        return "none — CPU-only development build, running on the CPU"
    if "Vulkan" in regs:
        return "Vulkan — no Vulkan GPU found (software renderers are not used), running on the CPU"
    module = folder / native_libs.VULKAN_MODULE
    if not module.is_file():
        return "none — CPU-only build (no GPU backend shipped), running on the CPU"
    try:
        ctypes.CDLL(native_libs.VULKAN_LOADER)
    except OSError:
        return f"Vulkan — the Vulkan loader ({native_libs.VULKAN_LOADER}) is not installed, running on the CPU"
    try:
        ctypes.CDLL(str(module))
    except OSError as exc:
        return f"Vulkan — {module.name} did not load ({exc}), running on the CPU"
    return "Vulkan — the Vulkan backend did not register, running on the CPU"


def probe(gpu_offload: bool) -> BackendChoice:
    """What this process's llama.cpp runs on; call after ``llama_backend_init``."""
    folder = native_libs.loaded_from()
    module = mapped_cpu_module()
    found = _VARIANT.search(module)
    scores = variant_scores(folder) if folder else {}
    usable = tuple(sorted((v for v, s in scores.items() if s > 0), key=lambda v: -scores[v]))
    gpus: list[Device] = gpu_devices()
    return BackendChoice(
        cpu_module=module, cpu_variant=found.group(1) if found else "", cpu_features=cpu_features(),
        cpu_variants_usable=usable, cpu_variants_shipped=len(scores),
        gpu_backend=backend_name(gpus) if gpus else "", gpu_devices=tuple(d.description or d.name for d in gpus),
        gpu_reason="" if gpus else _gpu_reason(folder, _registered(), gpu_offload), modules_dir=str(folder or ""))
