"""Why a model runs where it runs: a stable code and the numbers behind it, and the English sentence.

The load's decision (every layer on the GPU, some of them, or the CPU) is kept as ``PlacementWhy``
so that each consumer can say it in its own words: the command line and the log print ``english()``;
the window builds a sentence in its language from ``code`` and the fields (``desktop/placement_text.py``).
"""

from __future__ import annotations

import dataclasses

# Said wherever the fit finds the model too big for this machine's GPUs.
REMOTE_HINT = ("a model larger than this machine's GPUs runs best on a server that splits it over several GPUs "
               "(vLLM with tensor parallelism): add it with `visiondesk servers add`")

CODES = ("whole_model", "head_on_cpu", "partial_fit", "no_room", "split_overfills", "layers_asked", "cpu_asked",
         "no_gpu", "no_offload_build", "out_of_memory")


@dataclasses.dataclass(frozen=True)
class PlacementWhy:
    """Why ``layers`` of ``n_layers`` (+1: the output head) were offloaded. Sizes in MiB."""

    code: str  # one of CODES
    layers: int = 0  # offloaded (n_layers + 1 means every layer and the output head)
    n_layers: int = 0  # transformer blocks of the model
    free_mib: tuple[int, ...] = ()  # free memory of each GPU the plan counted on
    # split_overfills: the split as the user gave it, the GPU it overfills, what it needs there and has room for,
    # and what the automatic split would offload
    split: str = ""
    gpu: int = 0
    need_mib: int = 0
    room_mib: int = 0
    auto_layers: int = 0
    # out_of_memory: the plan's attempts that ran out of memory, in llama.cpp's words (the window shows the count)
    failures: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown placement code {self.code!r}")

    @property
    def gpus(self) -> int:
        """How many GPUs the plan counted on."""
        return len(self.free_mib)

    @property
    def suggests_server(self) -> bool:
        """The model is too big for this machine's GPUs: a server is the way to run it fast."""
        return self.code in ("partial_fit", "no_room", "out_of_memory")

    def english(self) -> str:
        """For the log, the command line and ``LoadResult.fallback_reason``."""
        free = " + ".join(str(b) for b in self.free_mib) + " MiB"
        where = "the GPU" if self.gpus == 1 else f"{self.gpus} GPUs"
        text = {
            "whole_model": f"the whole model fits on {where}",
            "head_on_cpu": "all layers fit; the output head stays on the CPU",
            "partial_fit": f"{self.layers} of {self.n_layers} layers fit in {free} free on {where}",
            "no_room": f"only {free} free on the {'GPU' if self.gpus == 1 else where}: running on the CPU",
            "split_overfills": (f"the GPU split {self.split} asks GPU {self.gpu} for {self.need_mib} MiB but it has "
                                f"room for {self.room_mib} MiB, so only {self.layers} of {self.n_layers} layers are "
                                f"offloaded ('auto' would offload {self.auto_layers})"),
            "layers_asked": f"{self.layers} layers were asked for",
            "cpu_asked": "CPU only was asked for",
            "no_gpu": "no GPU was found",
            "no_offload_build": "this build of llama.cpp has no GPU offload",
            "out_of_memory": f"out of GPU memory with {'; '.join(self.failures)}; now {self.layers} layers",
        }[self.code]
        return f"{text}; {REMOTE_HINT}" if self.suggests_server else text
