"""The vision projector (libmtmd) of a loaded model: opened at load, or on the first image that needs it.

Opening a projector reads all its weights and reserves its compute memory: for CLIP ViT-L/14-336 in f16 that
is 592 MiB and a large share of a model's load time, spent in vain by a conversation without images. So
by default (``Tuning.lazy_projector``) a load only checks the projector's header (the parent already did:
``gguf_header.check_pair``) and says from it whether the model sees images; libmtmd opens the file when the
first image must be read (or measured), and the request reports that time (``Timings.projector_load_ms``).
A projector that fails to open fails every image request with the same error, and text goes on.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llama_cpp import mtmd_cpp

from ...errors import ModelLoadFailed, ProjectorMismatch, VisionDeskError
from ...gguf_header import read_gguf_info
from ...requests import ModelSpec
from .native_log import NativeLog

log = logging.getLogger(__name__)


class ProjectorOutOfMemory(Exception):
    """The projector did not fit on its GPU."""


def open_projector(spec: ModelSpec, model: Any, on_gpu: bool, *, device: int | None, threads: int, eval_cb: Any,
                   native_log: NativeLog) -> Any:
    """A libmtmd context for ``spec.mmproj`` on ``model``; raises ``VisionDeskError`` or ``ProjectorOutOfMemory``."""
    assert spec.mmproj is not None
    mp = mtmd_cpp.mtmd_context_params_default()
    mp.use_gpu = on_gpu
    if on_gpu:
        mp.device = device
    mp.n_threads = threads
    mp.print_timings = False
    mp.cb_eval = eval_cb
    # The image token budget; -1 keeps the projector's own (libmtmd applies it to the families whose
    # token count follows the image's size, and ignores it for fixed-size ones).
    mp.image_min_tokens = spec.image_min_tokens if spec.image_min_tokens > 0 else -1
    mp.image_max_tokens = spec.image_max_tokens if spec.image_max_tokens > 0 else -1
    mctx = mtmd_cpp.mtmd_init_from_file(str(spec.mmproj).encode(), model, mp)
    if mctx:
        return mctx
    line = native_log.contains("mismatch between text model")
    if line:
        nums = [int(x) for x in line.replace(")", " ").replace("=", " ").split() if x.isdigit()]
        raise ProjectorMismatch(spec.model, spec.mmproj, *(nums[:2] if len(nums) >= 2 else (0, 0)))
    if on_gpu and native_log.contains("alloc"):
        raise ProjectorOutOfMemory("the projector did not fit")
    raise ModelLoadFailed(f"libmtmd could not load the projector {spec.mmproj} "
                          f"({'; '.join(native_log.recent(2))}).")


def sees_images(mmproj: Path) -> bool:
    """Whether a projector encodes images, from its header (what libmtmd would say once it is open)."""
    return read_gguf_info(mmproj, what="projector").has_vision


@dataclasses.dataclass
class DeferredProjector:
    """How to open the projector later, on the model's first image; remembers a failure."""

    open: Callable[[bool], Any]  # ``open_projector`` with all but ``on_gpu`` given
    on_gpu: bool
    error: VisionDeskError | None = None

    def load(self) -> tuple[Any, float]:
        """The opened context and the milliseconds it took; a projector too large for the GPU goes to the CPU."""
        if self.error is not None:
            raise self.error
        t0 = time.perf_counter()
        try:
            try:
                mctx = self.open(self.on_gpu)
            except ProjectorOutOfMemory:
                log.warning("the projector did not fit on the GPU at its first image; it runs on the CPU")
                mctx = self.open(False)
        except ProjectorOutOfMemory as exc:
            self.error = ModelLoadFailed(f"the projector could not be loaded: {exc}")
            raise self.error from None
        except VisionDeskError as exc:
            self.error = exc
            raise
        ms = (time.perf_counter() - t0) * 1000.0
        log.info("projector loaded at its first image in %.0f ms", ms)
        return mctx, ms
