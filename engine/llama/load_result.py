"""What loading a GGUF model in the local engine produced."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..backend import BackendInfo
from .placement import PlacementWhy


@dataclasses.dataclass(frozen=True, kw_only=True)
class LoadResult(BackendInfo):
    """What loading a GGUF model in the local engine produced, and where it ran."""

    model: Path
    mmproj: Path | None
    backend: str  # "CPU", "CUDA", "Metal", ...
    gpu_layers: int  # layers offloaded
    n_layers: int
    vision: bool
    chat_template_source: str  # "gguf" or "configured"
    fallback_reason: str = ""  # why it runs where it runs, in English (``placement.english()``)
    placement: PlacementWhy | None = None  # the same as a code and its numbers, for other languages
    load_ms: float = 0.0
    threads: int = 0  # CPU threads for generation
    threads_batch: int = 0  # CPU threads for reading prompts
    threads_note: str = ""  # how they were chosen ("measured at load", "remembered from a measurement on <date>", ...)
    threads_measure_ms: float = 0.0  # what measuring them took in this load (0: configured, remembered or on the GPU)
    gpu_names: tuple[str, ...] = ()  # the GPUs the plan counted on, in llama.cpp's order
    layers_per_gpu: tuple[int, ...] = ()  # offloaded layers on each of them (the output head counts as one)
    projector_device: str = ""  # the GPU holding the projector; "" when it runs on the CPU (or there is none)
    parallel: int = 1  # sequences the context decodes together (ModelSpec.parallel, 0 resolved)
    warmup_tokens: int = 0  # the full batch run at load with every layer on the GPU (0: none)
    # The projector opens at the first image that needs it (Tuning.lazy_projector); ``vision`` then comes from
    # its header, and that request's Timings.projector_load_ms says what opening it took.
    projector_deferred: bool = False
