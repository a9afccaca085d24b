"""The one table of defaults: how to sample and how to load, for every front end.

The engine's request types take their defaults from here, and so do the command line's options and
the app's settings, so a default changes in one place. Numbers only; no imports.
"""

from __future__ import annotations

from typing import Final, Literal

TEMPERATURE: Final = 0.7
TOP_P: Final = 0.95
TOP_K: Final = 40
MIN_P: Final = 0.05
REPEAT_PENALTY: Final = 1.1
REPEAT_LAST_N: Final = 64
RANDOM_SEED: Final = 0xFFFFFFFF  # LLAMA_DEFAULT_SEED: a different seed every time
MAX_TOKENS: Final = 512  # a one-shot answer (``ask``, ``chat``, the engine's requests)
APP_MAX_TOKENS: Final = 1024  # the desktop app allows longer answers by default

CONTEXT_TOKENS: Final = 4096  # context size when loading a model
BATCH_PARALLEL: Final = 0  # images a batch job answers at once (parallel sequences); 0: as many as free memory allows
REMOTE_IN_FLIGHT: Final = 4  # a batch on a server model, "at once" left to auto: requests in flight (it batches them)
GPU_LAYERS: Final[Literal["auto"]] = "auto"  # as many layers as fit on the GPU
GPU_SPLIT: Final[Literal["auto"]] = "auto"  # several GPUs share the layers in proportion to their free memory
MAIN_GPU: Final[None] = None  # the projector goes on the GPU with the most free memory

IMAGE_MAX_PIXELS: Final = 1_000_000_000  # images with more pixels are refused (no camera makes them)
# The image token budget (libmtmd's image_min_tokens / image_max_tokens) for families that read images at
# their own resolution (Qwen-VL, Pixtral, GLM-4V, LFM2-VL...); 0: the budget the model's projector sets.
IMAGE_MIN_TOKENS: Final = 0
IMAGE_MAX_TOKENS: Final = 0
# Disk the engine may use to remember image encodings and conversation states across restarts (megabytes; 0: off).
ENGINE_CACHE_MB: Final = 4096
