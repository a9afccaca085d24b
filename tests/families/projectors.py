"""Tiny random-weight mmproj files for libmtmd's projector types, with the tensor names clip.cpp loads.

Each writer follows ``tools/mtmd/clip.cpp`` of the llama.cpp vendored in llama-cpp-python
(``load_hparams`` for the keys, ``load_tensors`` for the names, ``models/<graph>.cpp`` for the
shapes). Shapes are in numpy order (ggml's ``ne`` reversed). Weights are random: the output is
gibberish, what the tests check is the path through libmtmd and the engine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import gguf
import numpy as np

SIGLIP_MEAN_STD = ([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
CLIP_MEAN_STD = ([0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711])
IMAGENET_MEAN_STD = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])


@dataclasses.dataclass(frozen=True)
class VisionSpec:
    """A family's vision tower and projector."""

    projector: str  # clip.projector_type
    image_size: int
    patch_size: int
    n_embd: int = 32
    n_ff: int = 48  # differs from n_embd, or clip.cpp "un-swaps" ffn up/down of older projector types
    n_layer: int = 2
    n_head: int = 4
    mean_std: tuple[list[float], list[float]] = CLIP_MEAN_STD
    keys: tuple[tuple[str, object], ...] = ()  # extra clip.* keys: uint32 (int), bool, or Int32

    def key(self, name: str) -> int:
        """An integer key of ``keys``."""
        value = dict(self.keys)[name]
        return int(value.value) if isinstance(value, Int32) else int(value)  # type: ignore[call-overload]


@dataclasses.dataclass(frozen=True)
class Int32:
    """A key clip.cpp reads as int32 (``get_i32``): writing it as uint32 aborts the process."""

    value: int


class _Writer:
    """A GGUFWriter with a seeded random source and the common vision-tower tensors."""

    def __init__(self, path: Path, spec: VisionSpec, seed: int) -> None:
        self.w = gguf.GGUFWriter(str(path), "clip")
        self.rng = np.random.default_rng(seed + 1000)
        self.spec = spec

    def rand(self, *dims: int, scale: float = 0.05) -> np.ndarray:
        return self.rng.standard_normal(dims, dtype=np.float32) * scale

    def add(self, name: str, value: np.ndarray) -> None:
        self.w.add_tensor(name, value.astype(np.float32) if value.dtype != np.float16 else value)

    def norm(self, name: str, n: int, bias: bool = True) -> None:
        self.add(name + ".weight", np.ones(n, dtype=np.float32))
        if bias:
            self.add(name + ".bias", np.zeros(n, dtype=np.float32))

    def linear(self, name: str, n_out: int, n_in: int, bias: bool = True, scale: float = 0.05) -> None:
        self.add(name + ".weight", self.rand(n_out, n_in, scale=scale))
        if bias:
            self.add(name + ".bias", self.rand(n_out, scale=0.01))

    def header(self, projection_dim: int) -> None:
        s, w, v = self.spec, self.w, "clip.vision."
        w.add_string("general.name", f"visiondesk-test-{s.projector}")
        w.add_bool("clip.has_vision_encoder", True)
        w.add_string("clip.projector_type", s.projector)
        w.add_uint32(v + "image_size", s.image_size)
        w.add_uint32(v + "patch_size", s.patch_size)
        w.add_uint32(v + "embedding_length", s.n_embd)
        w.add_uint32(v + "feed_forward_length", s.n_ff)
        w.add_uint32(v + "block_count", s.n_layer)
        w.add_uint32(v + "attention.head_count", s.n_head)
        w.add_uint32(v + "projection_dim", projection_dim)
        w.add_float32(v + "attention.layer_norm_epsilon", 1e-6)
        w.add_array(v + "image_mean", s.mean_std[0])
        w.add_array(v + "image_std", s.mean_std[1])
        for key, value in s.keys:
            if isinstance(value, bool):
                w.add_bool(key, value)
            elif isinstance(value, Int32):
                w.add_int32(key, value.value)
            else:
                assert isinstance(value, int)
                w.add_uint32(key, value)

    def tower(self, *, pos_rows: int | None, norm_bias: bool = True, gated: bool = False, second_patch: bool = False,
              patch_bias: bool = True, post_ln: bool = True, fused_qkv: bool = False) -> None:
        """Patch embedding, optional learned positions, ``n_layer`` ViT blocks, optional post-norm."""
        s = self.spec
        d, p = s.n_embd, s.patch_size
        self.add("v.patch_embd.weight", self.rand(d, 3, p, p, scale=0.1).astype(np.float16))
        if second_patch:  # Qwen-VL's temporal patch (two frames; a still image uses both halves)
            self.add("v.patch_embd.weight.1", self.rand(d, 3, p, p, scale=0.1).astype(np.float16))
        if patch_bias:
            self.add("v.patch_embd.bias", np.zeros(d, dtype=np.float32))
        if pos_rows is not None:
            self.add("v.position_embd.weight", self.rand(pos_rows, d))
        for n in range(s.n_layer):
            b = f"v.blk.{n}."
            if fused_qkv:
                self.linear(b + "attn_qkv", 3 * d, d)
            for name in ("attn_out",) if fused_qkv else ("attn_q", "attn_k", "attn_v", "attn_out"):
                self.linear(b + name, d, d)
            self.norm(b + "ln1", d, norm_bias)
            self.norm(b + "ln2", d, norm_bias)
            self.linear(b + "ffn_up", s.n_ff, d)
            if gated:
                self.linear(b + "ffn_gate", s.n_ff, d)
            self.linear(b + "ffn_down", d, s.n_ff)
        if post_ln:
            self.norm("v.post_ln", d, norm_bias)

    def close(self) -> None:
        self.w.write_header_to_file()
        self.w.write_kv_data_to_file()
        self.w.write_tensors_to_file()
        self.w.close()


def _gemma3(x: _Writer, e: int) -> None:
    s = x.spec
    x.tower(pos_rows=(s.image_size // s.patch_size) ** 2)
    x.add("mm.soft_emb_norm.weight", np.ones(s.n_embd, dtype=np.float32))
    x.add("mm.input_projection.weight", x.rand(s.n_embd, e, scale=0.5))  # ne = (E, d): transposed in the graph


def _qwen25vl(x: _Writer, e: int) -> None:
    d4 = x.spec.n_embd * 4  # 2x2 patches merged
    x.tower(pos_rows=None, norm_bias=False, gated=True, second_patch=True, patch_bias=False)
    x.linear("mm.0", d4, d4, scale=0.2)
    x.linear("mm.2", e, d4, scale=0.2)


def _qwen3vl(x: _Writer, e: int) -> None:
    s = x.spec
    d4 = s.n_embd * 4  # 2x2 patches merged
    x.tower(pos_rows=(s.image_size // s.patch_size) ** 2, second_patch=True, fused_qkv=True)
    x.linear("mm.0", d4, d4, scale=0.2)
    x.linear("mm.2", e, d4, scale=0.2)
    # One deepstack layer: the first block's features, merged and projected, ride along with each image token.
    x.norm("v.deepstack.0.norm", d4)
    x.linear("v.deepstack.0.fc1", d4, d4, scale=0.2)
    x.linear("v.deepstack.0.fc2", e, d4, scale=0.2)


def _idefics3(x: _Writer, e: int) -> None:
    s = x.spec
    scale = s.key("clip.vision.projector.scale_factor")
    x.tower(pos_rows=(s.image_size // s.patch_size) ** 2)
    x.add("mm.model.fc.weight", x.rand(e, s.n_embd * scale * scale, scale=0.3))


def _minicpmv(x: _Writer, e: int) -> None:
    s = x.spec
    n_query = s.key("clip.minicpmv_query_num")
    x.tower(pos_rows=70 * 70, post_ln=True)  # positions are bucketed into a 70x70 grid
    x.add("resampler.pos_embed_k", x.rand(s.image_size // s.patch_size, e))
    x.add("resampler.query", x.rand(n_query, e, scale=0.5))
    x.add("resampler.kv.weight", x.rand(e, s.n_embd, scale=0.2))
    for name in ("q", "k", "v", "out"):
        x.linear(f"resampler.attn.{name}", e, e, scale=0.1)
    for name in ("q", "kv", "post"):
        x.norm(f"resampler.ln_{name}", e)
    x.add("resampler.proj.weight", x.rand(e, e, scale=0.2))


def _internvl(x: _Writer, e: int) -> None:
    s = x.spec
    scale = s.key("clip.vision.projector.scale_factor")
    dm = s.n_embd * scale * scale
    x.tower(pos_rows=(s.image_size // s.patch_size) ** 2 + 1, post_ln=False)
    x.add("v.class_embd", x.rand(s.n_embd))
    x.norm("mm.model.mlp.0", dm)
    x.linear("mm.model.mlp.1", e, dm, scale=0.2)
    x.linear("mm.model.mlp.3", e, e, scale=0.2)


def _pixtral(x: _Writer, e: int) -> None:
    x.tower(pos_rows=None, norm_bias=False, gated=True, patch_bias=False, post_ln=False)
    x.norm("v.pre_ln", x.spec.n_embd, bias=False)
    x.linear("mm.1", e, x.spec.n_embd, scale=0.3)
    x.linear("mm.2", e, e, scale=0.3)
    x.add("v.token_embd.img_break", x.rand(e, scale=0.5))


def _lfm2(x: _Writer, e: int) -> None:
    s = x.spec
    dm = s.n_embd * 4  # 2x2 patches merged
    x.tower(pos_rows=(s.image_size // s.patch_size) ** 2)  # resized to each image's grid
    x.norm("mm.input_norm", dm)
    x.linear("mm.1", e, dm, scale=0.2)
    x.linear("mm.2", e, e, scale=0.2)


_TENSORS: dict[str, Callable[[_Writer, int], None]] = {
    "gemma3": _gemma3,
    "qwen2.5vl_merger": _qwen25vl,
    "qwen3vl_merger": _qwen3vl,
    "idefics3": _idefics3,
    "resampler": _minicpmv,
    "internvl": _internvl,
    "pixtral": _pixtral,
    "lfm2": _lfm2,
}


def write_family_mmproj(path: Path, spec: VisionSpec, projection_dim: int, seed: int = 0) -> Path:
    """Write ``spec``'s projector for a text model of width ``projection_dim``."""
    x = _Writer(path, spec, seed)
    x.header(projection_dim)
    _TENSORS[spec.projector](x, projection_dim)
    x.close()
    return path
