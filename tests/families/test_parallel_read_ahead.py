"""A parallel job on every generated vision family, with its waiting prompts read ahead in a second context.

Reading ahead (the default when the projector runs on a CUDA GPU) moves a request's sequence from the second
context into its slot with llama.cpp's sequence state API: M-RoPE positions (Qwen2.5-VL), non-causal image
attention and sliding-window layers (Gemma 3), sliced images and a recurrent state (LFM2-VL) all go through that
copy. Each family's greedy answers must equal the plain parallel path's, where every slot reads its own prompt.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from visiondesk.engine import Finished, Message, ModelSpec, ParallelRequest, SamplingParams, Tuning
from visiondesk.engine.llama import LocalEngine

from tests.engine.conftest import collect_parallel
from tests.families.families import Family

GREEDY = SamplingParams(temperature=0, max_tokens=12, repeat_penalty=1.0)


def answers(spec: ModelSpec, requests: list[ParallelRequest]) -> tuple[dict[int, str], dict[int, Finished]]:
    with LocalEngine() as e:
        e.load(spec)
        texts, finals, _ = collect_parallel(e.chat_parallel(requests))
    return texts, finals


def test_prompts_read_ahead_answer_as_each_slot_reading_its_own(family: tuple[Family, ModelSpec],
                                                                 photos: dict[str, Path]) -> None:
    _, spec = family
    names = ["red", "blue", "tall", "red", "blue"]
    requests = [ParallelRequest(i, [Message.user(f"What is in picture {i}?", photos[n])], GREEDY)
                for i, n in enumerate(names)]
    ahead, ahead_finals = answers(dataclasses.replace(spec, parallel=2, tuning=Tuning(read_ahead=True)), requests)
    plain, plain_finals = answers(dataclasses.replace(spec, parallel=2, tuning=Tuning(read_ahead=False)), requests)
    assert all(f.error is None for f in [*ahead_finals.values(), *plain_finals.values()])
    assert len(ahead_finals) == 5 and ahead == plain and all(ahead.get(k) for k in range(5))
    for k in range(5):
        a, p = ahead_finals[k].usage, plain_finals[k].usage
        assert (a.prompt_tokens, a.completion_tokens) == (p.prompt_tokens, p.completion_tokens), k
    # the third request was read in the second context while both slots decoded (its image is new there)
    assert ahead_finals[2].usage.images_encoded_ahead == 1
