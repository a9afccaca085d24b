"""Will a model fit this machine? Pure arithmetic on byte counts, plus small probes of RAM, VRAM and disk.

``estimate_fit`` takes only numbers so it is unit-testable; ``probe_machine`` reads /proc/meminfo
(or sysconf) and ``nvidia-smi`` when present.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import os
import shutil
import subprocess
from pathlib import Path

logger = logging.getLogger(__name__)

MIB = 2**20
GIB = 2**30
RUNTIME_OVERHEAD = 512 * MIB  # llama.cpp compute buffers, image batch, the app itself
RAM_HEADROOM = 0.80  # share of total RAM a model may take; the OS and other apps need the rest
VRAM_HEADROOM = 0.95
DISK_MARGIN = 1 * GIB  # keep this much free after both files are on disk


class Fit(enum.Enum):
    """Where a model can run on this machine."""

    GPU = "fits on the GPU"
    PARTIAL_GPU = "partly on the GPU"
    CPU_ONLY = "CPU only"
    TOO_BIG = "too big"


@dataclasses.dataclass(frozen=True)
class MachineMemory:
    """Memory of this machine in bytes; VRAM figures are None without an NVIDIA GPU."""

    ram_total: int
    ram_available: int
    vram_total: int | None = None
    vram_free: int | None = None


@dataclasses.dataclass(frozen=True)
class FitEstimate:
    """The verdict with the numbers behind it."""

    fit: Fit
    needed_bytes: int
    weights_bytes: int
    projector_bytes: int
    kv_bytes: int
    explanation: str


def kv_cache_bytes(kv_bytes_per_token_per_layer: int, n_layers: int, n_ctx: int) -> int:
    """KV cache size for a context of ``n_ctx`` tokens (f16 cache)."""
    return kv_bytes_per_token_per_layer * n_layers * n_ctx


def estimate_fit(weights_bytes: int, projector_bytes: int, kv_bytes: int, memory: MachineMemory) -> FitEstimate:
    """Decide GPU / partly GPU / CPU only / too big for these sizes on this machine."""
    needed = weights_bytes + projector_bytes + kv_bytes + RUNTIME_OVERHEAD
    ram_budget = int(memory.ram_total * RAM_HEADROOM)
    vram = int((memory.vram_free or 0) * VRAM_HEADROOM) if memory.vram_free is not None else 0

    def est(fit: Fit, why: str) -> FitEstimate:
        return FitEstimate(fit, needed, weights_bytes, projector_bytes, kv_bytes, why)

    need = _gib(needed)
    if vram and needed <= vram:
        return est(Fit.GPU, f"Needs about {need}; the GPU has {_gib(vram)} free, so it all runs on the GPU.")
    # Partial offload: the projector and some layers on the GPU, the rest in RAM.
    if vram >= projector_bytes + RUNTIME_OVERHEAD and needed - vram <= ram_budget:
        share = max(0.0, min(1.0, (vram - projector_bytes - RUNTIME_OVERHEAD) / max(weights_bytes + kv_bytes, 1)))
        return est(Fit.PARTIAL_GPU, f"Needs about {need}; the GPU has {_gib(vram)} free, so about {share:.0%} "
                                    "of the model runs on the GPU and the rest on the CPU (slower).")
    if needed <= ram_budget:
        where = "No usable GPU was found" if memory.vram_total is None else "The GPU is too small for it"
        return est(Fit.CPU_ONLY, f"Needs about {need}; {where}, so it runs on the CPU using RAM "
                                 f"({_gib(memory.ram_total)} in this machine). Expect slow answers.")
    return est(Fit.TOO_BIG, f"Needs about {need}, but this machine has {_gib(memory.ram_total)} RAM"
                            + (f" and {_gib(vram)} free on the GPU" if vram else "")
                            + ". Pick a smaller model or quantization, or a shorter context.")


def disk_needed(sizes: list[int], already_on_disk: int = 0, margin: int = DISK_MARGIN) -> int:
    """Bytes that must be free before downloading files of ``sizes`` (parts already present count)."""
    return max(0, sum(sizes) - already_on_disk) + margin


def free_disk_bytes(folder: Path) -> int:
    """Free bytes on the disk holding ``folder`` (its nearest existing parent)."""
    p = Path(folder)
    while not p.exists() and p != p.parent:
        p = p.parent
    return shutil.disk_usage(p).free


def probe_machine() -> MachineMemory:
    """RAM from /proc/meminfo (or sysconf) and VRAM from nvidia-smi, if it exists."""
    total, available = _ram()
    vram_total, vram_free = _vram()
    return MachineMemory(total, available, vram_total, vram_free)


def _ram() -> tuple[int, int]:
    try:
        fields: dict[str, int] = {}
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                key, _, rest = line.partition(":")
                fields[key] = int(rest.split()[0]) * 1024
        return fields["MemTotal"], fields.get("MemAvailable", fields.get("MemFree", 0))
    except (OSError, KeyError, ValueError, IndexError):
        pass
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        return page * os.sysconf("SC_PHYS_PAGES"), page * os.sysconf("SC_AVPHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0, 0


def _vram() -> tuple[int | None, int | None]:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None, None
    try:
        out = subprocess.run([exe, "--query-gpu=memory.free,memory.total", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        logger.info("nvidia-smi failed: %s", exc)
        return None, None
    return parse_nvidia_smi(out)


def parse_nvidia_smi(output: str) -> tuple[int | None, int | None]:
    """(total, free) bytes of the first GPU from nvidia-smi's CSV (MiB), or (None, None)."""
    for line in output.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 2:
            try:
                free, total = int(float(parts[0])) * MIB, int(float(parts[1])) * MIB
            except ValueError:
                continue
            return total, free
    return None, None


def _gib(n: int) -> str:
    return f"{n / GIB:.1f} GiB"
