"""Flush denormal floats to zero in the engine's process (FTZ/DAZ on x86-64, FZ on ARM64).

llama.cpp's CPU kernels run with the IEEE default, where an operation that meets a denormal (a float
below ~1.2e-38) takes a slow microcode path. Activations of a model that falls into a repetitive
state produce them: on the 1.1B benchmark model, greedy decoding ran 4-7% slower than the same
decode fed other tokens, and flushing took that away (see bench/RESULTS.md). PyTorch offers the
same switch (``torch.set_flush_denormal``) and GPU kernels flush by default; numbers this small do
not change a token.

The setting is per thread and inherited by threads created afterwards (POSIX), so the engine's child
sets it first thing, before llama.cpp starts its OpenMP workers. ``Tuning(flush_denormals=False)``
keeps IEEE behaviour (the benchmark's A/B uses it; the parent passes it on the child's command line).
Done through the C library's ``fegetenv``/``fesetenv`` (``_controlfp_s`` on Windows), so no compiled
helper is needed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import platform
import sys

log = logging.getLogger(__name__)

_X86_FTZ_DAZ = 0x8040  # MXCSR: flush-to-zero (bit 15) | denormals-are-zero (bit 6)
_ARM_FZ = 1 << 24  # FPCR.FZ

# Where the control register sits in the C library's fenv_t: (size in bytes, byte offset, bits to set).
_LAYOUTS = {
    ("linux", "x86_64"): (32, 28, _X86_FTZ_DAZ),  # glibc: x87 environment (28 bytes), then __mxcsr
    ("linux", "aarch64"): (8, 0, _ARM_FZ),  # glibc: __fpcr, __fpsr
    ("darwin", "x86_64"): (16, 4, _X86_FTZ_DAZ),  # __control, __status (2 + 2 bytes), __mxcsr
    ("darwin", "arm64"): (16, 8, _ARM_FZ),  # __fpsr, __fpcr (8 bytes each)
}


def _machine() -> str:
    m = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "arm64" if sys.platform == "darwin" else "aarch64"}.get(m, m)


def _flush_posix(layout: tuple[int, int, int]) -> bool:
    size, offset, bits = layout
    name = ctypes.util.find_library("m") or ctypes.util.find_library("c")
    libm = ctypes.CDLL(name) if name else ctypes.CDLL(None)
    env = (ctypes.c_uint8 * size)()
    if libm.fegetenv(env) != 0:
        return False
    reg = ctypes.c_uint32.from_buffer(env, offset)
    reg.value |= bits
    return bool(libm.fesetenv(env) == 0)


def _flush_windows() -> bool:
    mcw_dn, dn_flush = 0x03000000, 0x01000000  # _MCW_DN, _DN_FLUSH (sets both FTZ and DAZ on x64)
    crt = ctypes.CDLL("ucrtbase")
    current = ctypes.c_uint()
    return bool(crt._controlfp_s(ctypes.byref(current), dn_flush, mcw_dn) == 0)


def flush_denormals(enabled: bool = True) -> bool:
    """Turn on flushing for this thread (and threads it starts later); False if not ``enabled`` or not possible."""
    if not enabled:
        return False
    try:
        if sys.platform == "win32":
            return _flush_windows()
        system = "darwin" if sys.platform == "darwin" else "linux" if sys.platform.startswith("linux") else ""
        layout = _LAYOUTS.get((system, _machine()))
        if layout is None:
            return False
        return _flush_posix(layout)
    except (OSError, AttributeError, ValueError) as exc:
        log.warning("could not flush denormals: %s", exc)
        return False


def denormals_flushed() -> bool:
    """Whether this thread's float arithmetic flushes denormals (Python floats use the same unit)."""
    tiny = sys.float_info.min
    return tiny / 4.0 == 0.0
