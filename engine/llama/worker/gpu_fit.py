"""How many layers fit on the GPUs, and on which: arithmetic from GGUF tensor sizes and free device memory.

With several GPUs llama.cpp splits by layer (``split_mode`` layer): the offloaded layers are the last ones,
handed out in order to the devices in proportion to ``tensor_split``; each layer's KV cache lives with the
layer, and every device holds its own compute buffers. The plan mirrors that assignment exactly, so it
can check every device against its own free memory rather than the largest one.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ...errors import GpuSplitMismatch, NoSuchGpu
from ...requests import GpuSplit
from ..placement import PlacementWhy

MiB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class FitInput:
    """Sizes in bytes."""

    layer_bytes: tuple[int, ...]  # weights of each transformer block
    non_layer_bytes: int  # embeddings, output head, norms
    kv_bytes_per_layer: int  # KV cache of one layer for the whole context
    projector_bytes: int  # the mmproj weights (0 without one)
    free_bytes: tuple[int, ...]  # free memory on each GPU, in llama.cpp's device order
    split: GpuSplit = "auto"  # "auto": in proportion to each GPU's room; "even"; or the user's shares
    main_gpu: int | None = None  # the GPU that holds the projector; None: the one with the most free memory
    compute_reserve: int = 512 * MiB  # per GPU: compute buffers, CUDA context, fragmentation
    projector_reserve: int = 256 * MiB  # the vision encoder's compute buffer


@dataclasses.dataclass(frozen=True)
class FitPlan:
    """How many layers to offload, how llama.cpp should split them, and whether the projector goes to a GPU."""

    gpu_layers: int
    projector_on_gpu: bool
    why: PlacementWhy
    tensor_split: tuple[float, ...] = ()  # each GPU's share, summing to 1 (what llama.cpp is given)
    layers_per_gpu: tuple[int, ...] = ()  # offloaded layers on each GPU (the output head counts as one)
    main_gpu: int = 0  # the GPU of the projector (libmtmd) and llama.cpp's main GPU


def main_gpu_of(f: FitInput) -> int:
    """The GPU asked for, or the one with the most free memory; ``NoSuchGpu`` for one this machine lacks."""
    if f.main_gpu is None:
        return max(range(len(f.free_bytes)), key=lambda i: f.free_bytes[i])
    if f.main_gpu >= len(f.free_bytes):
        raise NoSuchGpu(f.main_gpu, len(f.free_bytes))
    return f.main_gpu


def shares(split: GpuSplit, room: list[int]) -> tuple[float, ...]:
    """Each GPU's share of the layers, summing to 1: ``room`` decides "auto" (all zero when nothing has room)."""
    if split == "even":
        raw = [1.0] * len(room)
    elif split == "auto":
        raw = [float(max(r, 0)) for r in room]
    else:
        if len(split) != len(room):
            raise GpuSplitMismatch(len(split), len(room))
        raw = [float(s) for s in split]
    total = sum(raw)
    return tuple(r / total for r in raw) if total > 0 else tuple(0.0 for _ in raw)


def assign_layers(n_layers: int, offloaded: int, split: tuple[float, ...]) -> tuple[int, ...]:
    """How many of the ``offloaded`` layers llama.cpp puts on each GPU (``llama_model::load_tensors``).

    It offloads the last ``offloaded`` of the ``n_layers + 1`` (the output head is the last), and gives
    offloaded layer ``j`` to the first device whose cumulative share exceeds ``j / offloaded``, in float32.
    """
    return tuple(len(ids) for ids in _layer_ids(n_layers, offloaded, split))


def _layer_ids(n_layers: int, offloaded: int, split: tuple[float, ...]) -> list[list[int]]:
    per_gpu: list[list[int]] = [[] for _ in split]
    act = min(offloaded, n_layers + 1)
    if act <= 0 or not split:
        return per_gpu
    # All zero: llama.cpp would split by its own free-memory reading; only a plan with no room at all asks it.
    cum = np.cumsum(np.asarray(split if any(split) else [1.0] * len(split), dtype=np.float32), dtype=np.float32)
    cum = cum / cum[-1]
    start = max(n_layers - offloaded, 0)
    for j in range(act):
        device = int(np.searchsorted(cum, np.float32(j) / np.float32(act), side="right"))
        per_gpu[min(device, len(split) - 1)].append(start + j)
    return per_gpu


def _needs(f: FitInput, offloaded: int, split: tuple[float, ...]) -> list[int]:
    """Bytes each GPU needs for its layers (weights and KV cache) and, on the last, the output head."""
    n = len(f.layer_bytes)
    return [sum(f.layer_bytes[i] + f.kv_bytes_per_layer if i < n else f.non_layer_bytes for i in ids)
            for ids in _layer_ids(n, offloaded, split)]


def _most_layers(f: FitInput, split: tuple[float, ...], room: list[int]) -> int:
    for offloaded in range(len(f.layer_bytes) + 1, 0, -1):
        if all(need <= r for need, r in zip(_needs(f, offloaded, split), room, strict=True)):
            return offloaded
    return 0


def plan_layers(f: FitInput) -> FitPlan:
    """Offload as many layers as fit, leaving room on each GPU for its KV cache, compute buffers and the projector.

    llama.cpp counts the output head as one more "layer" (n_layers + 1 offloads everything); it is
    offloaded last, so the plan offloads it only when all blocks fit.
    """
    n = len(f.layer_bytes)
    main = main_gpu_of(f)
    room = [free - f.compute_reserve for free in f.free_bytes]
    projector_need = f.projector_bytes + f.projector_reserve if f.projector_bytes else 0
    projector_on_gpu = bool(f.projector_bytes) and room[main] - projector_need > 0
    if projector_on_gpu:
        room[main] -= projector_need
    split = shares(f.split, room)
    if all(r <= 0 for r in room) or not any(split):
        return FitPlan(0, False, PlacementWhy("no_room", 0, n, _free_mib(f)), split, tuple(0 for _ in room), main)
    layers = _most_layers(f, split, room)
    per_gpu = assign_layers(n, layers, split)
    plan = FitPlan(layers, projector_on_gpu, _why(f, layers), split, per_gpu, main)
    if f.split == "auto" or layers == n + 1:
        return plan
    # A split the user chose that fits less than "auto" would: say which GPU it overfills.
    auto = _most_layers(f, shares("auto", room), room)
    if auto <= layers:
        return plan
    need = _needs(f, n + 1, split)
    over = next(i for i, (b, r) in enumerate(zip(need, room, strict=True)) if b > r)
    return dataclasses.replace(plan, why=PlacementWhy(
        "split_overfills", layers, n, _free_mib(f), split=_shown(f.split), gpu=over, need_mib=need[over] // MiB,
        room_mib=max(room[over], 0) // MiB, auto_layers=auto))


def _why(f: FitInput, layers: int) -> PlacementWhy:
    n = len(f.layer_bytes)
    code = "whole_model" if layers == n + 1 else "head_on_cpu" if layers == n else "partial_fit"
    return PlacementWhy(code, layers, n, _free_mib(f))


def _free_mib(f: FitInput) -> tuple[int, ...]:
    return tuple(b // MiB for b in f.free_bytes)


def _shown(split: GpuSplit) -> str:
    return split if isinstance(split, str) else ",".join(f"{s:g}" for s in split)


def fallback_steps(first: int) -> list[int]:
    """Layer counts to try after ``first`` failed for lack of memory: halve, then the CPU."""
    steps = []
    n = first
    while n > 1:
        n //= 2
        steps.append(n)
    if not steps or steps[-1] != 0:
        steps.append(0)
    return steps
