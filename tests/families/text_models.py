"""Tiny random-weight text decoders of the architectures vision families use, with their own special tokens.

Same recipe as ``tests/model_factory.py``'s *chatty* model (random weights, only single-character
pieces can be sampled, so greedy answers are printable and tokenize back to the same tokens), but
the architecture, the special tokens and the chat template are the family's:

* ``llama`` (SmolVLM's SmolLM2, Pixtral's Mistral decoder),
* ``qwen2`` (MiniCPM-V 2.6, InternVL 3): biased Q/K/V,
* ``qwen2vl`` (Qwen2-VL, Qwen2.5-VL): biased Q/K/V and M-RoPE (``rope.dimension_sections``),
* ``qwen3vl`` (Qwen3-VL): Q/K norms, interleaved M-RoPE, and "deepstack" image features: the image
  embeddings are wider than the text's (``n_embd_inp`` = n_embd x (1 + deepstack layers)),
* ``gemma3``: Q/K norms, post-attention and post-FFN norms, sliding-window layers,
* ``lfm2`` (LFM2-VL): a hybrid of short-convolution layers (recurrent state) and attention layers.

The tokenizer is SentencePiece-style (``tokenizer.ggml.model = "llama"``) for every family: libmtmd
looks marker tokens up by their text, which any vocabulary holding them satisfies.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import gguf
import numpy as np

from tests.model_factory import PIECES, write_tokenizer_kv


@dataclasses.dataclass(frozen=True)
class TextSpec:
    """A family's decoder: architecture, width and tokens."""

    architecture: str
    chat_template: str
    bos: str = "<s>"
    eos: str = "</s>"
    specials: tuple[str, ...] = ()  # control tokens: turn markers, image markers
    extra_pieces: tuple[str, ...] = ()  # normal multi-character pieces libmtmd looks up (e.g. "\n\n")
    n_embd: int = 64
    n_head: int = 4
    n_layer: int = 2
    n_ff: int = 128
    rope_sections: tuple[int, int, int, int] | None = None  # M-RoPE, in pairs of head dimensions
    sliding_window: int = 0  # gemma3: window of the sliding-window layers
    swa_pattern: int = 2  # gemma3: every n-th layer attends globally
    conv_layers: tuple[int, ...] = ()  # lfm2: layers that are short convolutions, not attention
    deepstack_layers: int = 0  # qwen3vl: vision layers whose features are added to the first decoder layers


def family_vocabulary(spec: TextSpec) -> tuple[list[str], list[float], list[int]]:
    """Control tokens (unk, bos, eos at ids 0-2, as ``write_tokenizer_kv`` declares them; the family's specials),
    the 256 byte tokens, printable pieces."""
    controls = ["<unk>", spec.bos, spec.eos, *spec.specials]
    tokens = list(controls)
    types = [gguf.TokenType.UNKNOWN] + [gguf.TokenType.CONTROL] * (len(controls) - 1)
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [gguf.TokenType.BYTE] * 256
    pieces = [*PIECES, *spec.extra_pieces]
    tokens += pieces
    types += [gguf.TokenType.NORMAL] * len(pieces)
    scores = [0.0] * (len(controls) + 256) + [float(len(p)) - 10.0 for p in pieces]
    return tokens, scores, [int(t) for t in types]


def write_family_text_model(path: Path, spec: TextSpec, seed: int = 0) -> Path:
    """Write ``spec``'s decoder with random weights; only single-character pieces can be generated."""
    rng = np.random.default_rng(seed)
    tokens, scores, types = family_vocabulary(spec)
    n_vocab, e, ff, a = len(tokens), spec.n_embd, spec.n_ff, spec.architecture
    head_dim = e // spec.n_head

    def rand(*dims: int, scale: float = 0.2) -> np.ndarray:
        return rng.standard_normal(dims, dtype=np.float32) * scale

    def ones(n: int) -> np.ndarray:
        return np.ones(n, dtype=np.float32)

    w = gguf.GGUFWriter(str(path), a)
    w.add_string("general.name", f"visiondesk-test-{a}-{seed}")
    w.add_uint32(f"{a}.context_length", 4096)
    w.add_uint32(f"{a}.embedding_length", e)
    w.add_uint32(f"{a}.block_count", spec.n_layer)
    w.add_uint32(f"{a}.feed_forward_length", ff)
    w.add_uint32(f"{a}.attention.head_count", spec.n_head)
    if spec.conv_layers:
        w.add_array(f"{a}.attention.head_count_kv",
                    [0 if n in spec.conv_layers else spec.n_head for n in range(spec.n_layer)])
        w.add_uint32(f"{a}.shortconv.l_cache", 3)
    else:
        w.add_uint32(f"{a}.attention.head_count_kv", spec.n_head)
    w.add_uint32(f"{a}.rope.dimension_count", head_dim)
    w.add_float32(f"{a}.rope.freq_base", 10000.0)
    w.add_float32(f"{a}.attention.layer_norm_rms_epsilon", 1e-6)
    w.add_uint32(f"{a}.vocab_size", n_vocab)
    if spec.rope_sections is not None:
        w.add_array(f"{a}.rope.dimension_sections", list(spec.rope_sections))
    if spec.deepstack_layers:
        w.add_uint32(f"{a}.n_deepstack_layers", spec.deepstack_layers)
    if spec.sliding_window:
        w.add_uint32(f"{a}.attention.sliding_window", spec.sliding_window)
        w.add_uint32(f"{a}.attention.sliding_window_pattern", spec.swa_pattern)
    write_tokenizer_kv(w, tokens, scores, types, spec.chat_template)

    out = rand(n_vocab, e, scale=1.0)
    # Only single-character pieces speak (see model_factory's chatty model): answers stay printable and
    # tokenize back to the tokens generated, so follow-ups can reuse them.
    out[[i for i in range(n_vocab) if types[i] != gguf.TokenType.NORMAL or len(tokens[i]) != 1]] = 0.0
    w.add_tensor("token_embd.weight", rand(n_vocab, e, scale=1.0))
    # LFM2's final norm is stored under llama.cpp's (historically wrong) name "token_embd_norm".
    w.add_tensor("token_embd_norm.weight" if a == "lfm2" else "output_norm.weight", ones(e))
    w.add_tensor("output.weight", out)
    biased = a in ("qwen2", "qwen2vl")
    for n in range(spec.n_layer):
        p = f"blk.{n}."
        w.add_tensor(p + "attn_norm.weight", ones(e))
        w.add_tensor(p + "ffn_norm.weight", ones(e))
        w.add_tensor(p + "ffn_gate.weight", rand(ff, e))
        w.add_tensor(p + "ffn_up.weight", rand(ff, e))
        w.add_tensor(p + "ffn_down.weight", rand(e, ff))
        if n in spec.conv_layers:
            w.add_tensor(p + "shortconv.conv.weight", rand(e, 3))
            w.add_tensor(p + "shortconv.in_proj.weight", rand(3 * e, e))
            w.add_tensor(p + "shortconv.out_proj.weight", rand(e, e))
            continue
        for name in ("attn_q", "attn_k", "attn_v"):
            w.add_tensor(p + name + ".weight", rand(e, e))
            if biased:
                w.add_tensor(p + name + ".bias", rand(e, scale=0.02))
        w.add_tensor(p + "attn_output.weight", rand(e, e))
        if a in ("gemma3", "lfm2", "qwen3vl"):
            w.add_tensor(p + "attn_q_norm.weight", ones(head_dim))
            w.add_tensor(p + "attn_k_norm.weight", ones(head_dim))
        if a == "gemma3":
            w.add_tensor(p + "post_attention_norm.weight", ones(e))
            w.add_tensor(p + "post_ffw_norm.weight", ones(e))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path
