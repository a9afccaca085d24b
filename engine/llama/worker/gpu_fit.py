"""How many layers fit on the GPU: arithmetic from GGUF tensor sizes and free device memory."""

from __future__ import annotations

import dataclasses

MiB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class FitInput:
    """Sizes in bytes."""

    layer_bytes: tuple[int, ...]  # weights of each transformer block
    non_layer_bytes: int  # embeddings, output head, norms
    kv_bytes_per_layer: int  # KV cache of one layer for the whole context
    projector_bytes: int  # the mmproj weights (0 without one)
    free_bytes: int  # free memory on the GPU
    compute_reserve: int = 512 * MiB  # compute buffers, CUDA context, fragmentation
    projector_reserve: int = 256 * MiB  # the vision encoder's compute buffer


@dataclasses.dataclass(frozen=True)
class FitPlan:
    """How many layers to offload and whether the projector goes to the GPU."""

    gpu_layers: int
    projector_on_gpu: bool
    reason: str


def plan_layers(f: FitInput) -> FitPlan:
    """Offload as many layers as fit, leaving room for KV cache, projector and compute buffers.

    llama.cpp counts the output head as one more "layer" (n_layers + 1 offloads everything); it is
    offloaded last, so the plan offloads it only when all blocks fit.
    """
    n = len(f.layer_bytes)
    budget = f.free_bytes - f.compute_reserve
    projector_need = f.projector_bytes + f.projector_reserve if f.projector_bytes else 0
    projector_on_gpu = bool(f.projector_bytes) and budget - projector_need > 0
    if projector_on_gpu:
        budget -= projector_need
    if budget <= 0:
        return FitPlan(0, False, f"only {f.free_bytes // MiB} MiB free on the GPU: running on the CPU")
    used = 0
    layers = 0
    for size in f.layer_bytes:
        need = size + f.kv_bytes_per_layer
        if used + need > budget:
            break
        used += need
        layers += 1
    if layers == n and used + f.non_layer_bytes <= budget:
        return FitPlan(n + 1, projector_on_gpu, "the whole model fits on the GPU")
    if layers == n:
        return FitPlan(n, projector_on_gpu, "all layers fit; the output head stays on the CPU")
    return FitPlan(layers, projector_on_gpu,
                   f"{layers} of {n} layers fit in {f.free_bytes // MiB} MiB free on the GPU")


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
