"""Sampling under a grammar (structured answers), as llama.cpp's own common sampler does it: sample first, check after.

llama.cpp's grammar sampler tests every candidate token against the grammar: over a whole vocabulary that
is slow (on the development VM, 10 ms per token at 32k tokens and 50 ms at 150k, against 0.4 and 4.5
without it). So the token is first picked by the ordinary chain, then the grammar checks that one token;
only when it is rejected are all candidates filtered by the grammar and the pick made again. Both the
chain and the grammar then accept the token. The candidates live in a NumPy array laid out as
``llama_token_data``, refilled from llama.cpp's logits in place for each pick.
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import llama_cpp
import numpy as np

from ...errors import EngineFailure

_TOKEN_DATA = np.dtype([("id", "<i4"), ("logit", "<f4"), ("p", "<f4")], align=True)
assert _TOKEN_DATA.itemsize == ctypes.sizeof(llama_cpp.llama_token_data)


class GrammarSampling:
    """A sampler chain plus a grammar, picking one token per call; ``free`` it before its context goes."""

    def __init__(self, chain: Any, grammar: str, ctx: Any, n_vocab: int) -> None:
        vocab = llama_cpp.llama_model_get_vocab(llama_cpp.llama_get_model(ctx))
        self.grammar = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), b"root")
        if not self.grammar:
            llama_cpp.llama_sampler_free(chain)
            raise EngineFailure("llama.cpp could not parse the grammar made from the JSON schema; simplify the "
                                "schema.")
        self.chain = chain
        self._ctx = ctx
        self._n_vocab = n_vocab
        self._ids = np.arange(n_vocab, dtype=np.int32)
        self._all = np.zeros(n_vocab, dtype=_TOKEN_DATA)
        self._one = np.zeros(1, dtype=_TOKEN_DATA)
        self._all_array = self._token_array(self._all)
        self._one_array = self._token_array(self._one)
        self._row = ctypes.c_float * n_vocab

    @staticmethod
    def _token_array(data: np.ndarray) -> Any:
        return llama_cpp.llama_token_data_array(
            data=data.ctypes.data_as(llama_cpp.llama_token_data_p), size=len(data), selected=-1, sorted=False)

    def reset(self) -> None:
        """Start a new answer: the grammar from its root, the chain's history empty."""
        llama_cpp.llama_sampler_reset(self.chain)
        llama_cpp.llama_sampler_reset(self.grammar)

    def free(self) -> None:
        """Free both samplers."""
        llama_cpp.llama_sampler_free(self.chain)
        llama_cpp.llama_sampler_free(self.grammar)

    def pick(self, index: int = -1) -> int:
        """The next token, one the grammar allows, from the logits of batch row ``index`` (default the last)."""
        ptr = llama_cpp.llama_get_logits_ith(self._ctx, index)
        if not ptr:
            raise EngineFailure("llama.cpp returned no logits to pick the next token from.")
        logits = np.frombuffer(memoryview(self._row.from_address(ctypes.addressof(ptr.contents))), dtype=np.float32)
        token = self._sample(logits, grammar_first=False)
        self._one[0] = (token, logits[token], 0.0)
        one = self._one_array
        one.size, one.selected, one.sorted = 1, -1, False
        llama_cpp.llama_sampler_apply(self.grammar, ctypes.byref(one))
        if math.isinf(float(self._one["logit"][0])):  # rejected: filter every candidate, pick again
            token = self._sample(logits, grammar_first=True)
        llama_cpp.llama_sampler_accept(self.grammar, token)
        llama_cpp.llama_sampler_accept(self.chain, token)
        return token

    def _sample(self, logits: np.ndarray, grammar_first: bool) -> int:
        self._all["id"] = self._ids
        self._all["logit"] = logits
        self._all["p"] = 0.0
        arr = self._all_array
        arr.size, arr.selected, arr.sorted = self._n_vocab, -1, False
        if grammar_first:
            llama_cpp.llama_sampler_apply(self.grammar, ctypes.byref(arr))
        llama_cpp.llama_sampler_apply(self.chain, ctypes.byref(arr))
        if not 0 <= arr.selected < arr.size:
            raise EngineFailure("the sampler chain selected no token.")
        return int(arr.data[arr.selected].id)
