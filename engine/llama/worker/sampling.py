"""Builds llama.cpp's native sampler chain from ``SamplingParams``, and the per-token pick.

Plain greedy decoding (temperature 0, no repetition penalty) on the host picks the argmax of the
logits where llama.cpp left them (a NumPy view of its buffer: no copy). The native chain would first
build a candidate array of the whole vocabulary per token — 262k entries for Gemma 3, ~1.1 ms of a
~6 ms token on a 16-core Xeon and ~0.4 ms of ~24 ms on one core of the development VM — and then
take the same argmax (the first highest logit, as NumPy's). Every other setting, and sampling on the
device, goes through the native chain. ``Tuning(host_greedy=False)`` sends greedy through it too
(the tests compare both).

A structured answer (``SamplingParams.response_format``) samples under llama.cpp's grammar sampler,
on the host, checking the chain's pick against the grammar (``grammar_sampling.py``): such sampling is
never attached to the device, nor replaced by the host argmax.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import llama_cpp
import numpy as np

from ...errors import EngineFailure
from ...requests import SamplingParams
from .grammar_sampling import GrammarSampling


def has_repeat_penalty(params: SamplingParams) -> bool:
    """Whether the chain starts with llama.cpp's penalties sampler (a penalty of 0 or 1 is none)."""
    return bool(params.repeat_penalty) and params.repeat_penalty != 1.0


def build_sampler(params: SamplingParams, n_vocab: int) -> Any:
    """A sampler chain (caller frees it with ``llama_sampler_free``); temperature 0 is greedy."""
    sparams = llama_cpp.llama_sampler_chain_default_params()
    sparams.no_perf = True
    chain = llama_cpp.llama_sampler_chain_init(sparams)
    add = llama_cpp.llama_sampler_chain_add
    if has_repeat_penalty(params):
        add(chain, llama_cpp.llama_sampler_init_penalties(
            n_vocab, params.repeat_last_n, params.repeat_penalty, 0.0, 0.0))
    if params.temperature <= 0.0:
        add(chain, llama_cpp.llama_sampler_init_greedy())
        return chain
    if params.top_k > 0:
        add(chain, llama_cpp.llama_sampler_init_top_k(params.top_k))
    if 0.0 < params.top_p < 1.0:
        add(chain, llama_cpp.llama_sampler_init_top_p(params.top_p, 1))
    if params.min_p > 0.0:
        add(chain, llama_cpp.llama_sampler_init_min_p(params.min_p, 1))
    add(chain, llama_cpp.llama_sampler_init_temp(params.temperature))
    add(chain, llama_cpp.llama_sampler_init_dist(params.seed & 0xFFFFFFFF))
    return chain


class SamplerSlot:
    """The sampler chain for the current sampling settings: kept (reset) while they stay the same.

    On the device, sampling inside the decode graph spares copying the logits to the host per token.
    Attaching a sampler makes llama.cpp re-plan its compute graph on the next decode, so it stays
    attached across requests — attached before any prompt is read, so the first token is sampled
    there too — and is replaced only when the sampling settings change.
    """

    def __init__(self) -> None:
        self._sampler: Any = None
        self._key: SamplingParams | None = None
        self._ctx: Any = None  # the context it is attached to, if any

    def get(self, params: SamplingParams, ctx: Any, n_vocab: int, on_device: bool) -> Any:
        """A sampler for ``params``, reset for a new answer."""
        key = dataclasses.replace(params, stop=(), max_tokens=1)  # length and stop strings do not shape the sampler
        if self._sampler is not None and self._key == key:
            if isinstance(self._sampler, GrammarSampling):
                self._sampler.reset()
            else:
                llama_cpp.llama_sampler_reset(self._sampler)
            return self._sampler
        self.drop()
        fmt = params.response_format
        chain = build_sampler(dataclasses.replace(params, response_format=None), n_vocab)
        self._sampler = GrammarSampling(chain, fmt.grammar, ctx, n_vocab) if fmt else chain
        self._key = key
        if on_device and fmt is None and llama_cpp.llama_set_sampler(ctx, 0, self._sampler):
            self._ctx = ctx
        return self._sampler

    def drop(self) -> None:
        """Detach and free the sampler (before its context is freed)."""
        if self._sampler is None:
            return
        if self._ctx is not None:
            llama_cpp.llama_set_sampler(self._ctx, 0, None)
        if isinstance(self._sampler, GrammarSampling):
            self._sampler.free()
        else:
            llama_cpp.llama_sampler_free(self._sampler)
        self._sampler = self._key = self._ctx = None


def is_plain_greedy(params: SamplingParams) -> bool:
    """Temperature 0 and no repetition penalty: the chain is llama.cpp's greedy sampler alone."""
    return params.temperature <= 0.0 and not has_repeat_penalty(params)


class GreedyArgmax:
    """The index of the first highest logit of the last output, read in place.

    The NumPy view of the row is made again only when llama.cpp's logits move (its output buffer grows):
    making it costs about as much as the argmax itself (5 of 8 us per token on the development VM).
    """

    def __init__(self, ctx: Any, n_vocab: int) -> None:
        self._ctx = ctx
        self._row = ctypes.c_float * n_vocab
        self._at = 0
        self._view: np.ndarray[Any, np.dtype[np.float32]] = np.empty(0, dtype=np.float32)

    def __call__(self) -> int:
        """The next token."""
        ptr = llama_cpp.llama_get_logits_ith(self._ctx, -1)
        if not ptr:
            raise EngineFailure("llama.cpp returned no logits to pick the next token from.")
        at = ctypes.addressof(ptr.contents)
        if at != self._at:
            self._view = np.frombuffer(memoryview(self._row.from_address(at)), dtype=np.float32)
            self._at = at
        return int(self._view.argmax())


def token_picker(params: SamplingParams, sampler: Any, ctx: Any, n_vocab: int, on_device: bool,
                 host_greedy: bool = True) -> Callable[[], int]:
    """What ``generate`` calls once per token: the argmax for plain greedy on the host, else the chain.

    ``host_greedy=False`` (``Tuning.host_greedy``) sends plain greedy through the chain too.
    """
    if isinstance(sampler, GrammarSampling):
        return sampler.pick
    if host_greedy and not on_device and is_plain_greedy(params):
        return GreedyArgmax(ctx, n_vocab)
    return functools.partial(llama_cpp.llama_sampler_sample, sampler, ctx, -1)


def sample_on_device(gpu_layers: int, n_layers: int, forced: bool | None = None) -> bool:
    """Sample on the device when the output layer is offloaded; ``forced`` (``Tuning.device_sampling``) decides."""
    if forced is not None:
        return forced
    return gpu_layers > n_layers
