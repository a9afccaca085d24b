"""Builds llama.cpp's native sampler chain from ``SamplingParams``."""

from __future__ import annotations

from typing import Any

import llama_cpp

from ..requests import SamplingParams


def build_sampler(params: SamplingParams, n_vocab: int) -> Any:
    """A sampler chain (caller frees it with ``llama_sampler_free``); temperature 0 is greedy."""
    sparams = llama_cpp.llama_sampler_chain_default_params()
    sparams.no_perf = True
    chain = llama_cpp.llama_sampler_chain_init(sparams)
    add = llama_cpp.llama_sampler_chain_add
    if params.repeat_penalty and params.repeat_penalty != 1.0:
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
