"""Token bytes and tokenization through llama.cpp's vocabulary, growing the buffer when it is short."""

from __future__ import annotations

import ctypes
from typing import Any

import llama_cpp


def token_piece(vocab: Any, token: int) -> bytes:
    """The bytes ``token`` stands for (special tokens rendered as their text)."""
    buf = ctypes.create_string_buffer(64)
    n = llama_cpp.llama_token_to_piece(vocab, token, buf, 64, 0, True)
    if n < 0:
        buf = ctypes.create_string_buffer(-n)
        n = llama_cpp.llama_token_to_piece(vocab, token, buf, -n, 0, True)
    return buf.raw[:n]


def tokenize(vocab: Any, text: bytes, add_special: bool) -> list[int]:
    """``text`` as tokens; ``add_special`` adds BOS (and what else the vocabulary asks for)."""
    if not text and not add_special:
        return []
    cap = len(text) + 16
    arr = (llama_cpp.llama_token * cap)()
    n = llama_cpp.llama_tokenize(vocab, text, len(text), arr, cap, add_special, True)
    if n < 0:
        cap = -n
        arr = (llama_cpp.llama_token * cap)()
        n = llama_cpp.llama_tokenize(vocab, text, len(text), arr, cap, add_special, True)
    return list(arr[:n])


def token_info(vocab: Any, token: int) -> tuple[bool, bytes]:
    """(ends generation, bytes shown) for a generated token; control tokens show nothing."""
    if llama_cpp.llama_vocab_is_eog(vocab, token):
        return True, b""
    return False, b"" if llama_cpp.llama_vocab_is_control(vocab, token) else token_piece(vocab, token)
