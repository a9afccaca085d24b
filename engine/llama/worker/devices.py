"""What this llama.cpp build can run on: backends and devices with their free memory.

Uses ggml's device registry through ctypes (the same library llama-cpp-python loaded), so CUDA,
Metal and Vulkan builds all report their devices the same way.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import pathlib

import llama_cpp

_DEVICE_TYPES = {0: "CPU", 1: "GPU", 2: "iGPU", 3: "accelerator"}


@dataclasses.dataclass(frozen=True)
class Device:
    """One ggml backend device."""

    name: str
    description: str
    kind: str
    free_bytes: int
    total_bytes: int


def ggml_libraries() -> list[ctypes.CDLL]:
    """The libggml and libggml-base libraries in the folder llama-cpp-python loaded its libraries from."""
    base = os.environ.get("LLAMA_CPP_LIB_PATH") or str(pathlib.Path(llama_cpp.__file__).parent / "lib")
    libs = []
    for name in ("libggml.so", "libggml-base.so", "libggml.dylib", "libggml-base.dylib", "ggml.dll",
                 "ggml-base.dll"):
        path = pathlib.Path(base) / name
        if path.exists():
            try:
                libs.append(ctypes.CDLL(str(path)))
            except OSError:
                continue
    return libs


def ggml_function(libs: list[ctypes.CDLL], name: str, restype: object, argtypes: list[object]) -> object | None:
    """The C function ``name`` from the first of ``libs`` that has it, typed; None if none does."""
    for lib in libs:
        fn: object | None = getattr(lib, name, None)
        if fn is not None:
            fn.restype = restype  # type: ignore[attr-defined]
            fn.argtypes = argtypes  # type: ignore[attr-defined]
            return fn
    return None


def list_devices() -> list[Device]:
    """Every device ggml knows, CPU included; empty if the registry cannot be read."""
    libs = ggml_libraries()
    count = ggml_function(libs, "ggml_backend_dev_count", ctypes.c_size_t, [])
    get = ggml_function(libs, "ggml_backend_dev_get", ctypes.c_void_p, [ctypes.c_size_t])
    name = ggml_function(libs, "ggml_backend_dev_name", ctypes.c_char_p, [ctypes.c_void_p])
    desc = ggml_function(libs, "ggml_backend_dev_description", ctypes.c_char_p, [ctypes.c_void_p])
    kind = ggml_function(libs, "ggml_backend_dev_type", ctypes.c_int, [ctypes.c_void_p])
    memory = ggml_function(libs, "ggml_backend_dev_memory", None,
                       [ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(ctypes.c_size_t)])
    if not all((count, get, name, desc, kind, memory)):
        return []
    devices = []
    for i in range(count()):  # type: ignore[operator]
        dev = get(i)  # type: ignore[operator]
        free, total = ctypes.c_size_t(0), ctypes.c_size_t(0)
        memory(dev, ctypes.byref(free), ctypes.byref(total))  # type: ignore[operator]
        devices.append(Device(
            name=(name(dev) or b"").decode(), description=(desc(dev) or b"").decode(),  # type: ignore[operator]
            kind=_DEVICE_TYPES.get(kind(dev), "unknown"), free_bytes=free.value,  # type: ignore[operator]
            total_bytes=total.value))
    return devices


def device_handle(name: str) -> int | None:
    """The handle (``ggml_backend_dev_t``) of the device called ``name``, for libmtmd's ``device``; None if unknown."""
    by_name = ggml_function(ggml_libraries(), "ggml_backend_dev_by_name", ctypes.c_void_p, [ctypes.c_char_p])
    handle: int | None = by_name(name.encode()) if by_name else None  # type: ignore[operator]
    return handle or None


def gpu_devices() -> list[Device]:
    """Devices layers can be offloaded to, in llama.cpp's order: its ``tensor_split`` and ``main_gpu`` index these.

    Like llama.cpp, integrated GPUs count only on a machine without a discrete one.
    """
    devices = list_devices()
    discrete = [d for d in devices if d.kind == "GPU"]
    return discrete or [d for d in devices if d.kind == "iGPU"]


def backend_name(devices: list[Device]) -> str:
    """A short name for the offload backend: CUDA, Metal, Vulkan, ... or CPU."""
    for d in devices:
        for known in ("CUDA", "Metal", "MTL", "Vulkan", "ROCm", "HIP", "SYCL", "OpenCL"):
            if d.name.upper().startswith(known.upper()):
                return "Metal" if known == "MTL" else known
    return devices[0].name.rstrip("0123456789") if devices else "CPU"
