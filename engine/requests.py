"""What callers hand the engine: which model to load, the conversation, and how to sample."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Literal

from . import defaults, number_rules
from .structured import ResponseFormat

Role = Literal["system", "user", "assistant"]
GpuLayers = int | Literal["auto"]
# How layers are shared between several GPUs: "auto" in proportion to each one's free memory, "even", or
# one share per GPU (3,1 puts three quarters on the first).
GpuSplit = Literal["auto", "even"] | tuple[float, ...]


@dataclasses.dataclass(frozen=True)
class ImageSource:
    """An image as the user gave it: a file path, or encoded bytes (a paste) with a display name."""

    path: Path | None = None
    data: bytes | None = None
    name: str = ""

    @property
    def label(self) -> str:
        """How messages name this image."""
        if self.path is not None:
            return str(self.path)
        return self.name or "pasted image"


@dataclasses.dataclass(frozen=True)
class ImageAttachment:
    """An attached image, identified: by its bytes for storage and by its prepared pixels for the engine."""

    sha256: str  # hash of the file's bytes: the store keeps one copy per hash
    digest: str  # hash of the prepared pixels (size included): the engine's identity of the image
    width: int  # prepared size, in pixels
    height: int
    name: str  # display name (the original file name, or "pasted-1.png")
    path: Path  # a file holding the bytes: the user's file until stored, then the store's copy

    @property
    def label(self) -> str:
        """How messages name this image."""
        return self.name or str(self.path)

    def as_source(self) -> ImageSource:
        """The file behind the attachment, for whatever must read it again."""
        return ImageSource(path=self.path, name=self.name)


@dataclasses.dataclass(frozen=True)
class Message:
    """One turn of a conversation; a user message may carry any number of images."""

    role: Role
    text: str
    images: tuple[ImageSource | ImageAttachment, ...] = ()

    @classmethod
    def user(cls, text: str, *images: str | os.PathLike[str] | ImageSource | ImageAttachment) -> Message:
        """A user message with images given as paths, ``ImageSource`` or ``ImageAttachment``."""
        return cls("user", text, tuple(i if isinstance(i, ImageSource | ImageAttachment) else ImageSource(path=Path(i))
                                       for i in images))

    @classmethod
    def assistant(cls, text: str) -> Message:
        """An earlier answer of the model."""
        return cls("assistant", text)

    @classmethod
    def system(cls, text: str) -> Message:
        """A system prompt."""
        return cls("system", text)


@dataclasses.dataclass(frozen=True)
class SamplingParams:
    """How to pick tokens. ``temperature == 0`` is greedy and deterministic."""

    temperature: float = defaults.TEMPERATURE
    top_p: float = defaults.TOP_P
    top_k: int = defaults.TOP_K
    min_p: float = defaults.MIN_P
    repeat_penalty: float = defaults.REPEAT_PENALTY
    repeat_last_n: int = defaults.REPEAT_LAST_N
    seed: int = defaults.RANDOM_SEED
    max_tokens: int = defaults.MAX_TOKENS
    stop: tuple[str, ...] = ()
    response_format: ResponseFormat | None = None  # None: free text

    def __post_init__(self) -> None:
        """Every front end builds one, so a bad number is refused here with a plain sentence (``InputError``)."""
        _check_numbers(self, {"temperature": number_rules.TEMPERATURE, "top_p": number_rules.TOP_P,
                              "top_k": number_rules.TOP_K, "min_p": number_rules.MIN_P,
                              "repeat_penalty": number_rules.REPEAT_PENALTY,
                              "repeat_last_n": number_rules.REPEAT_LAST_N, "seed": number_rules.SEED,
                              "max_tokens": number_rules.MAX_TOKENS})


def _check_numbers(request: object, rules: dict[str, number_rules.NumberRule]) -> None:
    """Check each named field of a frozen request; whole numbers given as floats (JSON's 512.0) become ints."""
    for name, rule in rules.items():
        value = getattr(request, name)
        if value is not None:
            object.__setattr__(request, name, rule.check(value))


def physical_cores() -> int:
    """Physical CPU cores: generation is memory-bound, and hyper-threads only add contention.

    llama-cpp-python's default (half the logical CPUs) is wrong on machines without SMT, where it
    halves the speed. Linux: distinct (package, core) pairs; macOS: ``hw.physicalcpu``.
    """
    try:
        cores: set[tuple[str, str]] = set()
        package = "0"
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "physical id":
                    package = value.strip()
                elif key.strip() == "core id":
                    cores.add((package, value.strip()))
        if cores:
            return len(cores)
    except OSError:
        pass
    try:
        import subprocess

        out = subprocess.run(["sysctl", "-n", "hw.physicalcpu"], capture_output=True, text=True, timeout=2)
        if out.returncode == 0 and out.stdout.strip().isdigit():
            return int(out.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return max(1, os.cpu_count() or 1)


@dataclasses.dataclass(frozen=True)
class SimulatedGpu:
    """TEST SEAM, never used by the product: a GPU that does not exist, for tests of the fit-and-fall-back path.

    The layer planner sees a device with ``free_mib`` of free memory, and loading with more than
    ``max_layers`` layers on it (None: no limit) fails as if its memory ran out. Layers "on" it really
    run on the CPU. Only tests set ``Tuning.simulated_gpus``.
    """

    free_mib: int
    max_layers: int | None = None


@dataclasses.dataclass(frozen=True)
class Tuning:
    """Switches of the local engine's speed paths. The defaults are the product; tests and benchmarks flip them.

    Each field names a path that has a plain alternative, so the two can be compared (A/B) and proven
    to give the same answers.
    """

    # CPU only: a follow-up of a few tokens deep in a cached conversation is widened into one 64-token
    # batch (see prompt_cache.widen_small_batch). False reads exactly the new tokens.
    widen_batches: bool = True
    # Plain greedy decoding on the host takes the argmax of llama.cpp's logits in place; False sends it
    # through llama.cpp's native greedy sampler (the same pick, slower on large vocabularies).
    host_greedy: bool = True
    # Where the sampler chain runs: None samples inside the decode graph when the output layer is on a
    # GPU, on the host otherwise; True or False forces one.
    device_sampling: bool | None = None
    # Flush denormal floats to zero in the engine process (see worker/denormals.py); False keeps IEEE
    # arithmetic. It is fixed when the process starts, so changing it starts a new engine process.
    flush_denormals: bool = True
    # Open the vision projector at the first image that needs it (a text-only conversation never pays for
    # reading it; see worker/projector.py); False opens it at load, as before issue 24.
    lazy_projector: bool = True
    # A parallel job encodes the images of requests waiting for a slot on a second thread while the slots
    # decode (worker/encode_ahead.py): None does it when the projector runs on a CUDA GPU, True or False forces
    # it. False reads each image when its slot takes it, all the other slots waiting.
    encode_ahead: bool | None = None
    # A parallel job reads the prompts of requests waiting for a slot in a second context on a thread of its own
    # while the slots decode, and a slot copies the sequence in (worker/prompt_reader.py; it encodes too, so it
    # takes the place of encode_ahead): None does it when the projector runs on a CUDA GPU (where it took 8 slots
    # from 2.6x to 3.2x the images per minute of one, with 128-token answers), True or False forces it. On the CPU
    # the reading thread would take the cores the slots decode on.
    read_ahead: bool | None = None
    # TEST SEAM: simulated GPUs, in device order; empty (always, outside tests) uses the real devices.
    simulated_gpus: tuple[SimulatedGpu, ...] = ()


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """Which model to load and how."""

    model: Path
    mmproj: Path | None = None
    n_ctx: int = defaults.CONTEXT_TOKENS
    n_batch: int = 2048  # tokens per llama_decode call (llama.cpp splits them into micro-batches of 512)
    threads: int | None = None  # None: chosen by measurement at load (physical cores first)
    threads_batch: int | None = None  # None: same as threads
    gpu_layers: GpuLayers = defaults.GPU_LAYERS
    gpu_split: GpuSplit = defaults.GPU_SPLIT  # how several GPUs share the layers
    main_gpu: int | None = defaults.MAIN_GPU  # the GPU of the projector; None: the one with the most free memory
    chat_template: str | None = None  # overrides the GGUF's template
    image_max_pixels: int = defaults.IMAGE_MAX_PIXELS  # refused beyond; larger images than needed are downscaled
    # Tokens an image may take, for the families whose token count follows the image's size; 0: the model's own.
    image_min_tokens: int = defaults.IMAGE_MIN_TOKENS
    image_max_tokens: int = defaults.IMAGE_MAX_TOKENS
    embedding_cache_images: int = 16
    # Sequences decoded together in one context (a batch job's slots), each with n_ctx tokens of its own;
    # 0: as many as free memory allows (worker/parallel_slots.py).
    parallel: int = 1
    # Sliding-window layers (Gemma 3, ...) keep every position, so any edit or regenerate can cut the cache
    # back. False keeps only the window (less memory on long contexts, as llama-server does); an edit
    # further back than the window then reads the whole prompt again.
    full_swa_cache: bool = True
    tuning: Tuning = Tuning()  # switches of the engine's speed paths and the test seam; the defaults are the product

    def __post_init__(self) -> None:
        """Refuse a bad number (a negative context, 10^12 GPU layers) with a plain sentence (``InputError``)."""
        if self.gpu_layers != "auto":
            object.__setattr__(self, "gpu_layers", number_rules.GPU_LAYERS.check(self.gpu_layers))
        object.__setattr__(self, "gpu_split", number_rules.check_gpu_split(self.gpu_split))
        _check_numbers(self, {"n_ctx": number_rules.CONTEXT_TOKENS, "n_batch": number_rules.BATCH_TOKENS,
                              "threads": number_rules.THREADS, "threads_batch": number_rules.THREADS,
                              "main_gpu": number_rules.MAIN_GPU,
                              "image_max_pixels": number_rules.IMAGE_MAX_PIXELS,
                              "image_min_tokens": number_rules.IMAGE_TOKENS,
                              "image_max_tokens": number_rules.IMAGE_TOKENS,
                              "embedding_cache_images": number_rules.CACHED_IMAGES,
                              "parallel": number_rules.PARALLEL})

    def resolved_threads(self) -> tuple[int, int]:
        """Threads for generation and for prompt reading."""
        t = self.threads or physical_cores()
        return t, self.threads_batch or t
