"""Writes tiny random-weight GGUF vision-language models for the test suite and the benchmarks.

No weights can be downloaded where VisionDesk is tested, so the tests make their own: a "llama"
text model plus a "clip" projector with the LLaVA-1.5 style ``mlp`` projector. Output is gibberish
by design; what the tests check is the machinery. ``../shared/TEST-MODELS.md`` lists what llama.cpp
requires and the pitfalls these shapes avoid.

Two text-model flavours:

* ``chatty``: random weights; output rows of all but single-character pieces are zeroed so greedy
  decoding emits printable text until ``max_tokens``, text that tokenizes back to the same tokens.
* ``scripted``: the next token depends only on the current one (near-zero layers, orthogonal
  embeddings, an output matrix that maps each script token to its successor), so greedy decoding
  recites ``script`` — e.g. the UTF-8 bytes of ``"中文"`` as byte-fallback tokens — and then either
  loops or ends with EOS.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import gguf
import numpy as np

CHATML_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

CONTROL_TOKENS = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]
UNK, BOS, EOS, IM_START, IM_END = range(5)
BYTE_BASE = len(CONTROL_TOKENS)  # token id of <0x00>
PIECES = [
    "▁",
    *[chr(c) for c in range(ord("a"), ord("z") + 1)],
    *[chr(c) for c in range(ord("A"), ord("Z") + 1)],
    *[str(d) for d in range(10)],
    ".", ",", "!", "?", ":", "-",
    # Longer pieces that SPM cannot reach by merging single characters (no "▁t", "th", ...), so
    # text made of single characters always tokenizes back character by character.
    "▁the", "▁is", "▁of", "▁image", "▁cat", "▁red", "▁blue", "▁table", "▁to", "▁it", "▁in",
]


@dataclasses.dataclass(frozen=True)
class TextShape:
    """Dimensions of the generated text model."""

    n_embd: int = 64
    n_layer: int = 2
    n_head: int = 4
    n_head_kv: int = 4
    n_ff: int = 128
    n_ctx_train: int = 4096
    extra_vocab: int = 0  # pad the vocabulary with more printable pieces (realistic sizes)


@dataclasses.dataclass(frozen=True)
class VisionShape:
    """Dimensions of the generated CLIP projector."""

    image_size: int = 32
    patch_size: int = 8
    n_embd: int = 32
    n_layer: int = 2
    n_head: int = 4
    n_ff: int = 48
    class_embd: bool = False

    @property
    def n_patches(self) -> int:
        return (self.image_size // self.patch_size) ** 2


TINY_TEXT = TextShape()
TINY_VISION = VisionShape()
# LLaVA-1.5 geometry: CLIP ViT-L/14-336 (576 image tokens) on a ~1.1B llama decoder.
REALISTIC_TEXT = TextShape(n_embd=2048, n_layer=22, n_head=32, n_head_kv=4, n_ff=5632, extra_vocab=31_700)
REALISTIC_VISION = VisionShape(image_size=336, patch_size=14, n_embd=1024, n_layer=24, n_head=16,
                               n_ff=4096, class_embd=True)


def vocabulary(extra: int = 0) -> tuple[list[str], list[float], list[int]]:
    """Tokens, scores and types: control tokens, all 256 bytes, printable pieces."""
    tokens = list(CONTROL_TOKENS)
    types = [gguf.TokenType.UNKNOWN] + [gguf.TokenType.CONTROL] * (len(CONTROL_TOKENS) - 1)
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [gguf.TokenType.BYTE] * 256
    pieces = list(PIECES) + [f"▁w{i}" for i in range(extra)]
    tokens += pieces
    types += [gguf.TokenType.NORMAL] * len(pieces)
    # Longer pieces score higher so SPM prefers them over single characters.
    scores = [0.0] * (len(CONTROL_TOKENS) + 256) + [float(len(p)) - 10.0 for p in pieces]
    return tokens, scores, [int(t) for t in types]


def byte_token(b: int) -> int:
    """Token id of the byte-fallback token for byte ``b``."""
    return BYTE_BASE + b


def _write_text_kv(w: gguf.GGUFWriter, shape: TextShape, n_vocab: int, chat_template: str | None,
                   tokens: list[str], scores: list[float], types: list[int], name: str, a: str = "llama") -> None:
    w.add_string("general.name", name)
    w.add_uint32(f"{a}.context_length", shape.n_ctx_train)
    w.add_uint32(f"{a}.embedding_length", shape.n_embd)
    w.add_uint32(f"{a}.block_count", shape.n_layer)
    w.add_uint32(f"{a}.feed_forward_length", shape.n_ff)
    w.add_uint32(f"{a}.attention.head_count", shape.n_head)
    w.add_uint32(f"{a}.attention.head_count_kv", shape.n_head_kv)
    w.add_uint32(f"{a}.rope.dimension_count", shape.n_embd // shape.n_head)
    w.add_float32(f"{a}.rope.freq_base", 10000.0)
    w.add_float32(f"{a}.attention.layer_norm_rms_epsilon", 1e-5)
    w.add_uint32(f"{a}.vocab_size", n_vocab)
    write_tokenizer_kv(w, tokens, scores, types, chat_template)


def write_tokenizer_kv(w: gguf.GGUFWriter, tokens: list[str], scores: list[float], types: list[int],
                       chat_template: str | None) -> None:
    """The SPM tokenizer keys every generated model uses (no space prefix: see TEST-MODELS.md's pitfalls)."""
    w.add_string("tokenizer.ggml.model", "llama")
    w.add_array("tokenizer.ggml.tokens", tokens)
    w.add_array("tokenizer.ggml.scores", scores)
    w.add_array("tokenizer.ggml.token_type", types)
    w.add_uint32("tokenizer.ggml.bos_token_id", BOS)
    w.add_uint32("tokenizer.ggml.eos_token_id", EOS)
    w.add_uint32("tokenizer.ggml.unknown_token_id", UNK)
    w.add_bool("tokenizer.ggml.add_bos_token", True)
    w.add_bool("tokenizer.ggml.add_space_prefix", False)
    if chat_template is not None:
        w.add_string("tokenizer.chat_template", chat_template)


def write_text_model(path: Path, *, seed: int = 0, shape: TextShape = TINY_TEXT,
                     script: bytes | None = None, script_ends: bool = False,
                     chat_template: str | None = CHATML_TEMPLATE, dtype: type = np.float32,
                     architecture: str = "llama", favour: bytes = b"") -> Path:
    """Write a llama-architecture text model.

    With ``script`` the model is *scripted*: greedy decoding emits the byte-fallback tokens of
    ``script`` (whose bytes must all differ) in a loop, or once followed by EOS if ``script_ends``.
    With ``favour`` the chatty model's logits are small and random, except that the byte tokens of
    ``favour`` and EOS score high wherever they are allowed: a grammar-constrained answer (with
    ``favour=b'"]}'``) closes its strings, arrays and objects within a few tokens, yet varies by seed;
    it writes no bytes above 0x7F (random byte tokens would make broken UTF-8, which real models do not).
    """
    rng = np.random.default_rng(seed)
    tokens, scores, types = vocabulary(shape.extra_vocab)
    n_vocab = len(tokens)
    e, ff = shape.n_embd, shape.n_ff
    head_dim = e // shape.n_head
    kv = head_dim * shape.n_head_kv

    def rand(*dims: int, scale: float = 0.02) -> np.ndarray:
        return (rng.standard_normal(dims, dtype=np.float32) * scale).astype(dtype)

    w = gguf.GGUFWriter(str(path), architecture)
    _write_text_kv(w, shape, n_vocab, chat_template, tokens, scores, types, f"visiondesk-test-{seed}", architecture)

    if script is None:
        embd = rand(n_vocab, e, scale=1.0)
        out = rand(n_vocab, e, scale=1.0).astype(np.float32)
        # Only single-character pieces speak: their text tokenizes back to the same tokens, as real
        # models' answers nearly always do, so follow-ups can reuse the answer's KV cache.
        silent = [i for i in range(n_vocab) if types[i] != gguf.TokenType.NORMAL or len(tokens[i]) != 1]
        out[silent] = 0.0
        layer_scale = 0.2
        if favour:
            # Every embedding shares one direction, which the near-zero layers carry to the output.
            common = rng.standard_normal(e).astype(np.float32)
            common /= np.linalg.norm(common)
            embd = embd * 0.25 + common * 4.0
            out = rand(n_vocab, e, scale=0.05).astype(np.float32)
            for t in [EOS, *(byte_token(b) for b in favour)]:
                out[t] = common * 0.4
            # Like a real model, it never starts a broken UTF-8 sequence: no bytes above 0x7F.
            out[[byte_token(b) for b in range(0x80, 0x100)]] = common * -4.0
            layer_scale = 1e-4
    else:
        ids = [byte_token(b) for b in script]
        if len(set(ids)) != len(ids) or len(ids) + 2 > e:
            raise ValueError("script bytes must be distinct and fewer than n_embd - 1")
        basis, _ = np.linalg.qr(rng.standard_normal((e, e)))
        common = basis[len(ids)]
        embd = np.tile(common * 4.0, (n_vocab, 1)).astype(np.float32)
        embd += (rng.standard_normal((n_vocab, e)) @ basis[len(ids) + 1:].T @ basis[len(ids) + 1:]) * 0.01
        for i, t in enumerate(ids):
            embd[t] = basis[i] * 4.0
        out = np.zeros((n_vocab, e), dtype=np.float32)
        out[ids[0]] += common * 4.0  # any other token leads into the script
        for i in range(len(ids)):
            nxt = EOS if (script_ends and i == len(ids) - 1) else ids[(i + 1) % len(ids)]
            out[nxt] += basis[i] * 4.0
        embd = embd.astype(dtype)
        layer_scale = 1e-4

    w.add_tensor("token_embd.weight", embd)
    w.add_tensor("output_norm.weight", np.ones(e, dtype=np.float32))
    w.add_tensor("output.weight", out.astype(dtype))
    for n in range(shape.n_layer):
        p = f"blk.{n}."
        w.add_tensor(p + "attn_norm.weight", np.ones(e, dtype=np.float32))
        w.add_tensor(p + "attn_q.weight", rand(e, e, scale=layer_scale))
        w.add_tensor(p + "attn_k.weight", rand(kv, e, scale=layer_scale))
        w.add_tensor(p + "attn_v.weight", rand(kv, e, scale=layer_scale))
        w.add_tensor(p + "attn_output.weight", rand(e, e, scale=layer_scale))
        w.add_tensor(p + "ffn_norm.weight", np.ones(e, dtype=np.float32))
        w.add_tensor(p + "ffn_gate.weight", rand(ff, e, scale=layer_scale))
        w.add_tensor(p + "ffn_up.weight", rand(ff, e, scale=layer_scale))
        w.add_tensor(p + "ffn_down.weight", rand(e, ff, scale=layer_scale))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def write_mmproj(path: Path, *, seed: int = 0, projection_dim: int = TINY_TEXT.n_embd,
                 shape: VisionShape = TINY_VISION, dtype: type = np.float32, omit: tuple[str, ...] = ()) -> Path:
    """Write a CLIP vision projector (LLaVA-1.5 ``mlp`` projector) for a text model of width ``projection_dim``."""
    rng = np.random.default_rng(seed + 1000)
    d, ff, p = shape.n_embd, shape.n_ff, shape.patch_size

    def rand(*dims: int, scale: float = 0.05) -> np.ndarray:
        return (rng.standard_normal(dims, dtype=np.float32) * scale).astype(dtype)

    def vec(n: int, value: float = 0.0) -> np.ndarray:
        return np.full(n, value, dtype=np.float32)

    w = gguf.GGUFWriter(str(path), "clip")
    add_tensor = w.add_tensor

    def add(name: str, value: np.ndarray) -> None:  # ``omit`` makes broken projectors on purpose
        if name not in omit:
            add_tensor(name, value)

    w.add_tensor = add  # type: ignore[method-assign]
    w.add_string("general.name", f"visiondesk-test-mmproj-{seed}")
    w.add_bool("clip.has_vision_encoder", True)
    w.add_bool("clip.has_text_encoder", False)
    w.add_string("clip.projector_type", "mlp")
    v = "clip.vision."
    w.add_uint32(v + "image_size", shape.image_size)
    w.add_uint32(v + "patch_size", p)
    w.add_uint32(v + "embedding_length", d)
    w.add_uint32(v + "feed_forward_length", ff)
    w.add_uint32(v + "block_count", shape.n_layer)
    w.add_uint32(v + "attention.head_count", shape.n_head)
    w.add_uint32(v + "projection_dim", projection_dim)
    w.add_float32(v + "attention.layer_norm_epsilon", 1e-5)
    w.add_array(v + "image_mean", [0.48145466, 0.4578275, 0.40821073])
    w.add_array(v + "image_std", [0.26862954, 0.26130258, 0.27577711])
    w.add_bool("clip.use_gelu", False)

    n_pos = shape.n_patches + (1 if shape.class_embd else 0)
    w.add_tensor("v.patch_embd.weight", rand(d, 3, p, p).astype(np.float16))
    w.add_tensor("v.position_embd.weight", rand(n_pos, d))
    if shape.class_embd:
        w.add_tensor("v.class_embd", rand(d))
    w.add_tensor("v.pre_ln.weight", vec(d, 1.0))
    w.add_tensor("v.pre_ln.bias", vec(d))
    for n in range(shape.n_layer):
        b = f"v.blk.{n}."
        for name in ("attn_q", "attn_k", "attn_v", "attn_out"):
            w.add_tensor(b + name + ".weight", rand(d, d))
            w.add_tensor(b + name + ".bias", vec(d))
        w.add_tensor(b + "ln1.weight", vec(d, 1.0))
        w.add_tensor(b + "ln1.bias", vec(d))
        w.add_tensor(b + "ln2.weight", vec(d, 1.0))
        w.add_tensor(b + "ln2.bias", vec(d))
        w.add_tensor(b + "ffn_up.weight", rand(ff, d))
        w.add_tensor(b + "ffn_up.bias", vec(ff))
        w.add_tensor(b + "ffn_down.weight", rand(d, ff))
        w.add_tensor(b + "ffn_down.bias", vec(d))
    w.add_tensor("mm.0.weight", rand(projection_dim, d, scale=0.5))
    w.add_tensor("mm.0.bias", vec(projection_dim))
    w.add_tensor("mm.2.weight", rand(projection_dim, projection_dim, scale=0.5))
    w.add_tensor("mm.2.bias", vec(projection_dim))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


@dataclasses.dataclass(frozen=True)
class GeneratedModels:
    """Paths of the generated models one test session shares."""

    model: Path  # chatty text model
    mmproj: Path  # matching projector
    cjk_model: Path  # scripted: loops over the UTF-8 bytes of "中文"
    ending_model: Path  # scripted: "中文" then EOS
    mismatched_mmproj: Path  # projection_dim 96 against n_embd 64
    no_template_model: Path  # chatty, without a chat template


def write_test_models(folder: Path, seed: int = 0) -> GeneratedModels:
    """Write the whole set of test models into ``folder`` (deterministic by ``seed``)."""
    folder.mkdir(parents=True, exist_ok=True)
    script = "中文".encode()
    return GeneratedModels(
        model=write_text_model(folder / "tiny-chat.gguf", seed=seed),
        mmproj=write_mmproj(folder / "tiny-mmproj.gguf", seed=seed),
        cjk_model=write_text_model(folder / "tiny-cjk.gguf", seed=seed, script=script),
        ending_model=write_text_model(folder / "tiny-ends.gguf", seed=seed, script=script, script_ends=True),
        mismatched_mmproj=write_mmproj(folder / "tiny-mmproj-96.gguf", seed=seed, projection_dim=96),
        no_template_model=write_text_model(folder / "tiny-no-template.gguf", seed=seed, chat_template=None),
    )


if __name__ == "__main__":  # python -m tests.model_factory FOLDER: a set to try the command line with
    import sys

    made = write_test_models(Path(sys.argv[1] if len(sys.argv) > 1 else "test-models"))
    for field in dataclasses.fields(made):
        print(f"{field.name}: {getattr(made, field.name)}")  # noqa: T201
