"""Which CPU variant and GPU backend the engine's llama.cpp chose, and why: what ``visiondesk doctor`` says.

Measured in the child (worker/backend_probe.py), so llama.cpp stays out of the parent; this module is the
plain record both sides share.
"""

from __future__ import annotations

import dataclasses
from typing import Any


@dataclasses.dataclass(frozen=True, slots=True)
class BackendChoice:
    """The backends llama.cpp runs on in the engine's child.

    ``cpu_variant`` is empty for a build with one CPU backend linked in (the development build);
    ``cpu_variants_usable`` lists, best first, the variants shipped in ``modules_dir`` that this CPU can run.
    ``gpu_backend`` is empty when layers cannot be offloaded; ``gpu_reason`` then says why (and is empty otherwise).
    """

    cpu_module: str
    cpu_variant: str
    cpu_features: tuple[str, ...]
    cpu_variants_usable: tuple[str, ...]
    cpu_variants_shipped: int
    gpu_backend: str
    gpu_devices: tuple[str, ...]
    gpu_reason: str
    modules_dir: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BackendChoice:
        """The record again from ``dataclasses.asdict`` output (or its JSON)."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            value = data[f.name]
            values[f.name] = tuple(value) if isinstance(value, list) else value
        return cls(**values)

    def cpu_line(self) -> str:
        """E.g. ``CPU backend: haswell variant (AVX, AVX2, FMA, F16C; best of 9 available for this CPU)``."""
        features = ", ".join(self.cpu_features) or "no SIMD extensions"
        if not self.cpu_variant:
            module = self.cpu_module or "libggml-cpu"
            return f"CPU backend: one build linked in ({module}; {features}; development build)"
        usable = len(self.cpu_variants_usable)
        if self.cpu_variants_usable and self.cpu_variants_usable[0] == self.cpu_variant:
            why = f"best of {usable} available for this CPU"
        else:
            why = f"not the best of the {usable} this CPU can run; chosen by hand"
        return f"CPU backend: {self.cpu_variant} variant ({features}; {why}; {self.cpu_variants_shipped} shipped)"

    def gpu_line(self) -> str:
        """E.g. ``GPU: Vulkan — NVIDIA H200``, ``GPU: CUDA build (dev) — NVIDIA H200``, ``GPU: Vulkan — no ...``."""
        if self.gpu_backend and self.gpu_devices:
            build = "" if self.modules_dir else " build (dev)"  # a development build links its GPU backend in
            return f"GPU: {self.gpu_backend}{build} — {', '.join(self.gpu_devices)}"
        return f"GPU: {self.gpu_reason}"
