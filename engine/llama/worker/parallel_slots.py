"""How many parallel sequences (slots) one context gets when the caller leaves it to free memory.

The one rule: every slot has its own ``n_ctx`` cells of KV cache (the cache is split per sequence), so a
slot costs ``kv_bytes_per_token_per_layer × layers × n_ctx`` (f16 K and V, from the GGUF's geometry).
Slots take at most ``KV_SHARE`` of the memory free once the weights are loaded — on the GPUs holding the
layers, else the machine's available RAM — leaving the rest to compute buffers and everything else, and
there are at most ``MAX_AUTO_SLOTS`` (past that, batched decoding gains little and every answer waits
longer behind the images that are read one at a time).
"""

from __future__ import annotations

import logging
import os

from ...gguf_header import GGUFInfo

log = logging.getLogger(__name__)

MAX_AUTO_SLOTS = 8
KV_SHARE = 0.5


def slot_kv_bytes(info: GGUFInfo, n_ctx: int) -> int:
    """KV cache bytes of one slot of ``n_ctx`` tokens."""
    return info.kv_bytes_per_token_per_layer() * max(info.n_layers, 1) * n_ctx


def slots_for(free_bytes: int, slot_bytes: int, cap: int = MAX_AUTO_SLOTS) -> int:
    """Slots that fit in ``KV_SHARE`` of ``free_bytes`` at ``slot_bytes`` each: from 1 to ``cap``."""
    return max(1, min(cap, int(free_bytes * KV_SHARE) // max(slot_bytes, 1)))


def available_ram_bytes() -> int:
    """Memory the machine can give without swapping (``MemAvailable``; free pages where that is unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))


def auto_slots(info: GGUFInfo, n_ctx: int, gpu_free_bytes: list[int] | None) -> int:
    """The slot count for a model whose weights are loaded: by the GPUs' free memory, else by free RAM."""
    free = sum(gpu_free_bytes) if gpu_free_bytes else available_ram_bytes()
    slots = slots_for(free, slot_kv_bytes(info, n_ctx))
    log.info("%d parallel slots: %.0f MiB free, %.0f MiB of KV cache per %d-token slot", slots, free / 2**20,
             slot_kv_bytes(info, n_ctx) / 2**20, n_ctx)
    return slots
