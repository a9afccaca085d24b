"""Loads a model and its projector into llama.cpp, fitting layers to the GPU and falling back.

``gpu_layers="auto"`` offloads what the layer-fit arithmetic says fits in free VRAM. If loading,
creating the context or the first decode fails for lack of memory, it retries with fewer layers,
then on the CPU, and says why in the result.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import logging
import os
import time
from collections.abc import Sequence
from typing import Any

import llama_cpp
import numpy as np
from llama_cpp import mtmd_cpp

from ...errors import ImagesNeedProjector, ModelLoadFailed, UnknownArchitecture
from ...gguf_header import read_gguf_info
from ...requests import ModelSpec, SimulatedGpu, physical_cores
from ..disk_cache import DiskCache
from ..load_result import LoadResult
from ..placement import PlacementWhy
from .devices import Device, backend_name, device_handle, gpu_devices
from .gpu_fit import (
    FitInput,
    FitPlan,
    MiB,
    assign_layers,
    fallback_steps,
    main_gpu_of,
    plan_layers,
    shares,
)
from .native_log import NativeLog
from .parallel_slots import auto_slots
from .projector import DeferredProjector, ProjectorOutOfMemory, open_projector, sees_images
from .thread_memory import choose_threads
from .tokens import token_piece

log = logging.getLogger(__name__)
_backend_ready = False


class OutOfMemory(Exception):
    """A step failed in a way more layers on the CPU may fix."""


@dataclasses.dataclass
class LoadedModel:
    """Native handles of one loaded model; ``free()`` releases them."""

    spec: ModelSpec
    model: Any
    ctx: Any
    vocab: Any
    memory: Any
    mtmd: Any
    marker: bytes
    n_ctx: int
    n_batch: int
    n_vocab: int
    n_embd_inp: int
    batch: Any
    one_batch: Any
    result: LoadResult | None = None  # set once loading succeeded
    bos_token: str = ""
    eos_token: str = ""
    batch_tokens: Any = None  # numpy views of the batch arrays, for filling a batch in one step
    batch_pos: Any = None
    batch_logits: Any = None
    deferred: DeferredProjector | None = None  # the projector, to be opened at the first image

    def __post_init__(self) -> None:
        n = self.n_batch
        self.batch_tokens = np.ctypeslib.as_array(self.batch.token, shape=(n,))
        self.batch_pos = np.ctypeslib.as_array(self.batch.pos, shape=(n,))
        self.batch_logits = np.ctypeslib.as_array(ctypes.cast(self.batch.logits, ctypes.POINTER(ctypes.c_int8)),
                                                  shape=(n,))

    @property
    def gpu_layers(self) -> int:
        """Layers offloaded to the GPU (0: all on the CPU)."""
        return self.result.gpu_layers if self.result else 0

    @property
    def n_layers(self) -> int:
        """The model's layer count."""
        return self.result.n_layers if self.result else 0

    @property
    def has_projector(self) -> bool:
        """Whether a projector was given (open, or to be opened at the first image)."""
        return bool(self.mtmd) or self.deferred is not None

    def projector(self) -> tuple[Any, float]:
        """The projector's libmtmd context, opened now if it was deferred, and the milliseconds that took now.

        Raises ``ImagesNeedProjector`` without a projector, and the opening's error (every time) if it fails.
        """
        if self.mtmd:
            return self.mtmd, 0.0
        if self.deferred is None:
            raise ImagesNeedProjector(self.spec.model)
        self.mtmd, ms = self.deferred.load()
        self.deferred = None
        return self.mtmd, ms

    def fill_batch(self, tokens: Sequence[int] | int, n: int, pos: int, last_logits: bool) -> None:
        """Put ``n`` tokens (a sequence, or one token repeated) into ``batch`` from position ``pos``.

        Logits are asked for the last one only, and only if ``last_logits``.
        """
        self.batch.n_tokens = n
        self.batch_tokens[:n] = tokens
        self.batch_pos[:n] = np.arange(pos, pos + n, dtype=np.int32)
        self.batch_logits[:n] = 0
        if last_logits:
            self.batch_logits[n - 1] = 1

    def on_context(self, ctx: Any) -> LoadedModel:
        """The same model read into another of its contexts (``second_context``); never ``free`` the view."""
        assert self.mtmd or self.deferred is None, "open the projector first: the view would open it again"
        return dataclasses.replace(self, ctx=ctx, memory=llama_cpp.llama_get_memory(ctx))

    def free(self) -> None:
        """Release projector, context, batches and model."""
        if self.mtmd:
            mtmd_cpp.mtmd_free(self.mtmd)
            self.mtmd = None
        self.deferred = None
        llama_cpp.llama_batch_free(self.batch)
        llama_cpp.llama_batch_free(self.one_batch)
        if self.ctx:
            llama_cpp.llama_free(self.ctx)
            self.ctx = None
        if self.model:
            llama_cpp.llama_model_free(self.model)
            self.model = None


@dataclasses.dataclass(frozen=True)
class Placement:
    """Where a load puts the model: the layer plan over the GPUs it counts on, and the backend's name."""

    plan: FitPlan
    backend: str
    n_layers: int
    gpus: tuple[Device, ...] = ()
    simulated: tuple[SimulatedGpu, ...] = ()  # TEST SEAM: the devices are simulated (nothing is set on llama.cpp)


def _plan(spec: ModelSpec) -> Placement:
    """The layers to offload, their split over the GPUs, where the projector goes, and why."""
    info = read_gguf_info(spec.model)
    n_layers = info.n_layers
    simulated = spec.tuning.simulated_gpus
    if not llama_cpp.llama_supports_gpu_offload() and not simulated:
        why = "no_offload_build" if spec.gpu_layers != 0 else "cpu_asked"
        return Placement(FitPlan(0, False, PlacementWhy(why, 0, n_layers)), "CPU", n_layers)
    gpus = _simulated_devices(simulated) if simulated else tuple(gpu_devices())
    backend = backend_name(list(gpus))
    projector = read_gguf_info(spec.mmproj, what="projector").tensor_bytes if spec.mmproj else 0
    kv_tokens = spec.n_ctx * max(spec.parallel, 1)  # parallel 0 (by free memory) is decided once the weights are in
    fit = FitInput(layer_bytes=info.layer_bytes or (info.tensor_bytes // max(n_layers, 1),) * n_layers,
                   non_layer_bytes=info.non_layer_bytes, kv_bytes_per_layer=info.kv_bytes_per_token_per_layer()
                   * kv_tokens, projector_bytes=projector, free_bytes=tuple(d.free_bytes for d in gpus),
                   split=spec.gpu_split, main_gpu=spec.main_gpu)
    if spec.gpu_layers != "auto":
        n = max(0, min(int(spec.gpu_layers), n_layers + 1))
        split = shares(spec.gpu_split, [b - fit.compute_reserve for b in fit.free_bytes]) if gpus else ()
        asked = PlacementWhy("layers_asked" if n else "cpu_asked", n, n_layers, tuple(b // MiB for b in fit.free_bytes))
        plan = FitPlan(n, n > 0, asked, split, assign_layers(n_layers, n, split),
                       main_gpu_of(fit) if gpus else 0)
        return Placement(plan, backend if n else "CPU", n_layers, gpus, simulated)
    if not gpus:
        return Placement(FitPlan(0, False, PlacementWhy("no_gpu", 0, n_layers)), "CPU", n_layers)
    plan = plan_layers(fit)
    return Placement(plan, backend if plan.gpu_layers else "CPU", n_layers, gpus, simulated)


def _simulated_devices(gpus: tuple[SimulatedGpu, ...]) -> tuple[Device, ...]:
    """TEST SEAM: the devices ``SimulatedGpu``s stand for (see ``engine/requests.py``)."""
    return tuple(Device(f"FakeGPU{i}", "simulated GPU (tests only)", "GPU", g.free_mib * MiB, g.free_mib * MiB)
                 for i, g in enumerate(gpus))


def _place_on_gpus(mparams: Any, place: Placement, layers: int, projector_gpu: bool) -> None:
    """Give llama.cpp the plan's split and main GPU, and libmtmd the projector's GPU.

    A simulated device is not named to llama.cpp: it has no such device.
    """
    if place.simulated:
        for i, (gpu, count) in enumerate(zip(place.simulated, assign_layers(place.n_layers, layers,
                                                                            place.plan.tensor_split), strict=True)):
            if gpu.max_layers is not None and count > gpu.max_layers:
                raise OutOfMemory(f"simulated allocation failure on FakeGPU{i}: {count} layers, room for "
                                  f"{gpu.max_layers}")
        return
    if not place.gpus or not layers:
        return
    mparams.split_mode = llama_cpp.LLAMA_SPLIT_MODE_LAYER
    mparams.main_gpu = place.plan.main_gpu
    # ctypes keeps the array alive with the struct it is assigned to.
    mparams.tensor_split = (ctypes.c_float * llama_cpp.LLAMA_MAX_DEVICES)(
        *place.plan.tensor_split[:llama_cpp.LLAMA_MAX_DEVICES])


def _projector_device(place: Placement) -> int | None:
    """The handle of the GPU the plan gives the projector; None leaves libmtmd's choice (the first GPU).

    Named only with several GPUs (on one, the first is the main one) and never for simulated ones.
    """
    if place.simulated or len(place.gpus) < 2:
        return None
    return device_handle(place.gpus[place.plan.main_gpu].name)


def _token_text(vocab: Any, token: int) -> str:
    return token_piece(vocab, token).decode("utf-8", "replace") if token >= 0 else ""


def _context_params(spec: ModelSpec, slots: int, threads: int, threads_batch: int) -> Any:
    cparams = llama_cpp.llama_context_default_params()
    # Each slot its own n_ctx cells: llama.h advises a KV cache split per sequence (kv_unified false) when the
    # sequences share no long prefix, as a batch job's requests do (each has its own image).
    cparams.n_ctx = spec.n_ctx * slots
    cparams.n_seq_max = slots
    cparams.kv_unified = False
    cparams.n_batch = spec.n_batch
    cparams.n_ubatch = min(spec.n_batch, 512)
    cparams.n_threads = threads
    cparams.n_threads_batch = threads_batch
    cparams.no_perf = True
    cparams.swa_full = spec.full_swa_cache
    return cparams


def second_context(m: LoadedModel) -> Any:
    """Another llama.cpp context on ``m``'s weights, shaped as its own; None if it does not fit.

    Same slots, cells and batch, so that a sequence's state moves between the two with
    ``llama_state_seq_get_data``/``set_data``.
    """
    assert m.result is not None
    r = m.result
    ctx = llama_cpp.llama_init_from_model(m.model, _context_params(m.spec, r.parallel, r.threads, r.threads_batch))
    return ctx or None


def _try_load(spec: ModelSpec, layers: int, projector_gpu: bool, place: Placement, native_log: NativeLog,
              eval_cb: Any, disk: DiskCache | None) -> LoadedModel:
    mparams = llama_cpp.llama_model_default_params()
    mparams.n_gpu_layers = layers
    _place_on_gpus(mparams, place, layers, projector_gpu)
    model = llama_cpp.llama_model_load_from_file(str(spec.model).encode(), mparams)
    if not model:
        line = native_log.contains("unknown model architecture")
        if line:
            arch = line.rsplit(":", 1)[-1].strip().strip("'")
            raise UnknownArchitecture(spec.model, arch)
        if layers and (native_log.contains("alloc") or native_log.contains("memory")):
            raise OutOfMemory(native_log.contains("alloc") or "allocation failed")
        detail = "; ".join(native_log.recent(3))
        raise ModelLoadFailed(f"llama.cpp could not load {spec.model} ({detail}). The file may be damaged: "
                              "download it again.")
    threads, threads_batch = spec.resolved_threads()
    slots = spec.parallel or auto_slots(read_gguf_info(spec.model), spec.n_ctx,
                                        [d.free_bytes for d in gpu_devices()] if layers and place.gpus else None)
    ctx = llama_cpp.llama_init_from_model(model, _context_params(spec, slots, threads, threads_batch))
    if not ctx:
        llama_cpp.llama_model_free(model)
        if layers:
            raise OutOfMemory("the context could not be created")
        raise ModelLoadFailed(f"llama.cpp could not create a {spec.n_ctx}-token context for {spec.model.name}; "
                              "lower the context size in the settings.")
    vocab = llama_cpp.llama_model_get_vocab(model)
    n_batch = llama_cpp.llama_n_batch(ctx)
    batch = llama_cpp.llama_batch_init(n_batch, 0, 1)
    for j in range(n_batch):  # every prompt token belongs to sequence 0; set once, not per batch
        batch.n_seq_id[j] = 1
        batch.seq_id[j][0] = 0
    one = llama_cpp.llama_batch_init(1, 0, 1)
    one.n_tokens = 1
    one.n_seq_id[0] = 1
    one.seq_id[0][0] = 0
    one.logits[0] = 1
    loaded = LoadedModel(spec=spec, model=model, ctx=ctx, vocab=vocab, memory=llama_cpp.llama_get_memory(ctx),
                         mtmd=None, marker=mtmd_cpp.mtmd_default_marker(), n_ctx=llama_cpp.llama_n_ctx_seq(ctx),
                         n_batch=n_batch, n_vocab=llama_cpp.llama_vocab_n_tokens(vocab),
                         n_embd_inp=llama_cpp.llama_model_n_embd_inp(model), batch=batch, one_batch=one,
                         bos_token=_token_text(vocab, llama_cpp.llama_vocab_bos(vocab)),
                         eos_token=_token_text(vocab, llama_cpp.llama_vocab_eos(vocab)))
    try:
        device = _projector_device(place) if projector_gpu else None
        if spec.mmproj and spec.tuning.lazy_projector:
            loaded.deferred = DeferredProjector(functools.partial(open_projector, spec, model, device=device,
                                                                  threads=threads_batch, eval_cb=eval_cb,
                                                                  native_log=native_log), projector_gpu)
        elif spec.mmproj:
            try:
                loaded.mtmd = open_projector(spec, model, projector_gpu, device=device, threads=threads_batch,
                                             eval_cb=eval_cb, native_log=native_log)
            except ProjectorOutOfMemory as exc:
                raise OutOfMemory(str(exc)) from None
        # A first decode allocates the compute buffers: fail here, not in the first chat.
        one.token[0] = llama_cpp.llama_vocab_bos(vocab) if llama_cpp.llama_vocab_bos(vocab) >= 0 else 0
        one.pos[0] = 0
        rc = llama_cpp.llama_decode(ctx, one)
        llama_cpp.llama_memory_clear(loaded.memory, True)
        if rc != 0:
            raise OutOfMemory(f"the first decode failed (code {rc})") if layers else \
                ModelLoadFailed(f"llama.cpp could not run {spec.model.name} (decode code {rc}).")
        warmed = _warm_full_batch(loaded) if layers > llama_cpp.llama_model_n_layer(model) else 0
    except BaseException:
        loaded.free()
        raise
    threads_note, measure_ms = "as configured", 0.0
    if spec.threads is None and layers <= llama_cpp.llama_model_n_layer(model):
        chosen = choose_threads(loaded, disk, layers, physical_cores(), os.cpu_count() or 1)
        threads, threads_batch = chosen.choice.threads, chosen.choice.threads_batch
        threads_note, measure_ms = chosen.note, chosen.measure_ms
    elif spec.threads is None:
        threads_note = "physical cores (the model runs on the GPU)"
    runs_on = place.backend if layers else "CPU"
    on_gpus = bool(layers) and bool(place.gpus)
    loaded.result = LoadResult(
        model_name=spec.model.stem, runs_on=runs_on, model=spec.model, mmproj=spec.mmproj, backend=runs_on,
        gpu_layers=layers, n_layers=llama_cpp.llama_model_n_layer(model), n_ctx=loaded.n_ctx,
        vision=bool(mtmd_cpp.mtmd_support_vision(loaded.mtmd)) if loaded.mtmd else
        loaded.deferred is not None and spec.mmproj is not None and sees_images(spec.mmproj),
        projector_deferred=loaded.deferred is not None,
        chat_template_source="configured" if spec.chat_template else "gguf", threads=threads,
        threads_batch=threads_batch, threads_note=threads_note, threads_measure_ms=measure_ms, warmup_tokens=warmed,
        parallel=slots,
        gpu_names=tuple(d.name for d in place.gpus) if on_gpus else (),
        layers_per_gpu=assign_layers(place.n_layers, layers, place.plan.tensor_split) if on_gpus else (),
        projector_device=place.gpus[place.plan.main_gpu].name if on_gpus and projector_gpu and loaded.has_projector
        else "")
    return loaded


def _warm_full_batch(m: LoadedModel) -> int:
    """With every layer on the GPU, run one full micro-batch (then forget it) before the first request.

    A GPU backend does one-time work the first time it meets a batch of that size: it loads the kernels
    for large batches (CUDA loads modules lazily) and grows its pool of scratch memory. ``llama-bench``
    pays for that in its untimed warm-up run; without this the user's first prompt (or image) would.
    On the GPU it costs milliseconds; on the CPU it would cost seconds, so it is not done there.
    Returns the tokens run.
    """
    n = min(int(llama_cpp.llama_n_ubatch(m.ctx)), m.n_batch, m.n_ctx - 1)
    if n <= 1:
        return 0
    m.fill_batch(max(llama_cpp.llama_vocab_bos(m.vocab), 0), n, 0, True)
    t0 = time.perf_counter()
    rc = llama_cpp.llama_decode(m.ctx, m.batch)
    llama_cpp.llama_synchronize(m.ctx)
    llama_cpp.llama_memory_clear(m.memory, True)
    if rc != 0:
        raise OutOfMemory(f"a full batch of {n} tokens could not be run (code {rc})")
    log.info("warmed up with a %d-token batch in %.1f ms", n, (time.perf_counter() - t0) * 1000.0)
    return n


def load_model(spec: ModelSpec, native_log: NativeLog, eval_cb: Any, disk: DiskCache | None = None) -> LoadedModel:
    """Load with the planned offload, retrying with fewer layers on lack of memory.

    ``disk``: the engine's cache folder, where a measured thread choice is remembered (None: measured each load).
    """
    global _backend_ready
    if not _backend_ready:
        llama_cpp.llama_backend_init()
        _backend_ready = True
    t0 = time.perf_counter()
    place = _plan(spec)
    layers, why = place.plan.gpu_layers, place.plan.why
    attempts = [layers] + (fallback_steps(layers) if layers else [])
    failures: list[str] = []
    for n in attempts:
        try:
            loaded = _try_load(spec, n, place.plan.projector_on_gpu and n > 0, place, native_log, eval_cb, disk)
        except OutOfMemory as exc:
            log.warning("loading with %d GPU layers failed: %s", n, exc)
            failures.append(f"{n} layers: {exc}")
            continue
        if failures:
            why = PlacementWhy("out_of_memory", n, place.n_layers, why.free_mib, failures=tuple(failures))
        assert loaded.result is not None
        reason = why.english()
        loaded.result = dataclasses.replace(loaded.result, fallback_reason=reason, placement=why,
                                            load_ms=(time.perf_counter() - t0) * 1000.0)
        log.info("loaded %s: %s, %d GPU layers (%s)", spec.model.name, loaded.result.backend, n, reason)
        return loaded
    raise ModelLoadFailed(f"{spec.model.name} could not be loaded even on the CPU: {'; '.join(failures)}")
