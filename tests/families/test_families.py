"""The engine on every generated vision family: answers, several images, reuse, rollback, cancel.

Every case runs once per family of ``tests/families/families.py``. Greedy answers of a warm engine
must equal those of a cold start (a new engine that read the whole prompt), which proves that what
the prefix cache kept and what it cut back to is exactly what a full read computes — with M-RoPE
positions (Qwen2.5-VL), non-causal image attention and sliding-window layers (Gemma 3), sliced
images (SmolVLM, MiniCPM-V, InternVL), and a recurrent state that can only be read again (LFM2-VL).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from visiondesk.engine import (
    CancelToken,
    Finished,
    Message,
    ModelSpec,
    SamplingParams,
    Stage,
    StageChanged,
    StopReason,
    TextDelta,
)
from visiondesk.engine.llama import LocalEngine

from tests.engine.conftest import run
from tests.families.conftest import cold
from tests.families.families import Family

LONG = SamplingParams(temperature=0, max_tokens=100_000, repeat_penalty=1.0)
QUESTION = "Please describe what you see in this picture, in as much detail as you can. "


def stages(events: list[object]) -> list[Stage]:
    return [e.stage for e in events if isinstance(e, StageChanged)]


def test_image_and_question(fresh: LocalEngine, family: tuple[Family, ModelSpec], photos: dict[str, Path]) -> None:
    text, fin, events = run(fresh, [Message.user("What is in the picture?", photos["red"])])
    assert fin.error is None and fin.stop_reason is StopReason.LENGTH
    assert text and fin.usage.completion_tokens == 16
    assert fin.usage.images_encoded == 1 and fin.usage.images_reused == 0
    assert Stage.ENCODING_IMAGE in stages(events) and stages(events)[-1] is Stage.GENERATING
    # The pixels reach the model: another picture, the same question, another answer.
    other, _, _ = run(fresh, [Message.user("What is in the picture?", photos["blue"])])
    assert other != text


def test_several_images_in_one_message(fresh: LocalEngine, family: tuple[Family, ModelSpec],
                                       photos: dict[str, Path]) -> None:
    both = [Message.user("Compare these pictures.", photos["red"], photos["tall"], photos["blue"])]
    text, fin, events = run(fresh, both)
    assert fin.error is None and text
    assert fin.usage.images_encoded == 3
    assert [(e.index, e.total) for e in events if isinstance(e, StageChanged) and e.stage is Stage.ENCODING_IMAGE] \
        == [(1, 3), (2, 3), (3, 3)]
    one, single, _ = run(fresh, [Message.user("Compare these pictures.", photos["red"])])
    assert single.usage.prompt_tokens < fin.usage.prompt_tokens
    assert text == cold(family[1], both)


def test_follow_up_neither_encodes_nor_rereads(fresh: LocalEngine, family: tuple[Family, ModelSpec],
                                              photos: dict[str, Path]) -> None:
    q1 = Message.user(QUESTION * 2, photos["tall"])
    a1, f1, _ = run(fresh, [q1])
    follow = [q1, Message.assistant(a1), Message.user("And the colour?")]
    a2, f2, events = run(fresh, follow)
    assert f2.error is None
    assert f2.usage.images_encoded == 0 and f2.usage.images_reused == 1
    assert Stage.ENCODING_IMAGE not in stages(events)
    # The first turn's prompt (image included) stays in the cache; what is read is the new turn and
    # the template text around it (plus, on a CPU, a few cached tokens read again to fill a 64-token batch).
    reused = f2.usage.prompt_tokens - f2.usage.prompt_tokens_evaluated
    assert reused >= f1.usage.prompt_tokens - 64
    assert f2.usage.prompt_tokens_evaluated <= 64 + len("And the colour?") + 40
    assert a2 == cold(family[1], follow)


def test_regenerate_matches_cold_start(fresh: LocalEngine, family: tuple[Family, ModelSpec],
                                       photos: dict[str, Path]) -> None:
    q = [Message.user("Describe it.", photos["blue"])]
    first, _, _ = run(fresh, q)
    again, f, _ = run(fresh, q)
    assert again == first == cold(family[1], q)
    assert f.usage.images_encoded == 0
    if family[0].recurrent:  # the state after the prompt is gone: a correct full read
        assert f.usage.prompt_tokens_evaluated == f.usage.prompt_tokens
    else:  # only the last prompt token, for fresh logits
        assert f.usage.prompt_tokens_evaluated == 1


def test_regenerate_after_an_answer_of_one_token(fresh: LocalEngine, family: tuple[Family, ModelSpec],
                                                photos: dict[str, Path]) -> None:
    """One token sampled and never fed back: the cache ends exactly at the prompt's end."""
    q = [Message.user("Describe it.", photos["red"])]
    _, one, _ = run(fresh, q, SamplingParams(temperature=0, max_tokens=1, repeat_penalty=1.0))
    assert one.usage.completion_tokens == 1
    again, f, _ = run(fresh, q)
    assert f.error is None and again == cold(family[1], q)


def test_edit_rolls_back_to_the_edited_turn(fresh: LocalEngine, family: tuple[Family, ModelSpec],
                                            photos: dict[str, Path]) -> None:
    q1 = Message.user("What is this?", photos["tall"])
    a1, f1, _ = run(fresh, [q1])
    run(fresh, [q1, Message.assistant(a1), Message.user("Tell me more about the left side of it")])
    edited = [q1, Message.assistant(a1), Message.user("Tell me less")]
    text, f, _ = run(fresh, edited)
    assert f.error is None and f.usage.images_encoded == 0
    assert text == cold(family[1], edited)
    if family[0].recurrent:
        assert f.usage.prompt_tokens_evaluated == f.usage.prompt_tokens
    else:
        assert f.usage.prompt_tokens_evaluated < f.usage.prompt_tokens - f1.usage.prompt_tokens + 64


def test_edit_before_the_image_rereads_without_encoding(fresh: LocalEngine, family: tuple[Family, ModelSpec],
                                                        photos: dict[str, Path]) -> None:
    run(fresh, [Message.system("Be brief."), Message.user("What is this?", photos["red"])])
    edited = [Message.system("Be thorough."), Message.user("What is this?", photos["red"])]
    text, f, _ = run(fresh, edited)
    assert f.error is None
    assert f.usage.images_encoded == 0 and f.usage.images_reused == 1  # from the embedding store
    assert text == cold(family[1], edited)


@pytest.mark.parametrize("stage", [Stage.READING_PROMPT, Stage.ENCODING_IMAGE, "text"])
def test_cancel_in_each_stage_then_answer_like_a_cold_start(fresh: LocalEngine, family: tuple[Family, ModelSpec],
                                                            photos: dict[str, Path], stage: Stage | str) -> None:
    """Cancel as the stream enters ``stage``; the next request answers exactly as a cold start would.

    The tiny models run each stage in milliseconds, so the cancel may land in a later stage than the one
    that triggered it (tests/engine/test_cancel_and_crash.py times cancels on a slower model); what this
    checks per family is that whatever was half-evaluated is rolled back.
    """
    q1 = Message.user("First question", photos["red"])
    a1, _, _ = run(fresh, [q1])
    conv = [q1, Message.assistant(a1), Message.user(QUESTION, photos["tall"], photos["blue"])]
    token = CancelToken()
    events: list[object] = []
    for ev in fresh.chat(conv, LONG, token):
        events.append(ev)
        hit = (stage == "text" and isinstance(ev, TextDelta)) or (isinstance(ev, StageChanged) and ev.stage == stage)
        if hit:
            token.cancel()
    fin = events[-1]
    assert isinstance(fin, Finished) and fin.stop_reason is StopReason.CANCELLED and fin.error is None
    text, after, _ = run(fresh, conv)
    assert after.error is None and after.usage.images_encoded + after.usage.images_reused == 3
    assert text == cold(family[1], conv)


def test_cache_that_cannot_be_cut_back_reads_again(family: tuple[Family, ModelSpec], photos: dict[str, Path]) -> None:
    """With ``full_swa_cache=False`` the cache cannot be cut back past the window: edits read everything again.

    So does a recurrent state (LFM2's convolution layers), always. Families with neither run the same
    conversation and must still reuse the cache.
    """
    fam, spec = family
    # Micro-batches of 64 keep the window's cache small: llama.cpp gives it window + micro-batch cells,
    # padded to 256.
    spec = dataclasses.replace(spec, full_swa_cache=False, n_batch=64)
    q1 = Message.user("What is this?", photos["red"])
    with LocalEngine() as e:
        e.load(spec)
        a1, f1, _ = run(e, [q1])
        # A follow-up longer than those 256 cells overwrites the cells behind the first turn's end.
        follow = [q1, Message.assistant(a1), Message.user(QUESTION * 4)]
        a2, f2, _ = run(e, follow)
        assert a2 == cold(spec, follow)
        assert f2.usage.prompt_tokens_evaluated < f2.usage.prompt_tokens  # appending never needs a cut
        # Edit the follow-up: the cut lies more than 256 positions before the cache's end.
        edited = [q1, Message.assistant(a1), Message.user("Why?")]
        text, f3, _ = run(e, edited)
        assert f3.error is None and text == cold(spec, edited)
        assert f3.usage.images_encoded == 0
        if fam.sliding_window or fam.recurrent:
            # The window has moved past the edit point (or the state cannot be cut back at all): a correct
            # full read, the image from the store.
            assert f3.usage.prompt_tokens_evaluated == f3.usage.prompt_tokens
        else:
            assert f3.usage.prompt_tokens_evaluated < f3.usage.prompt_tokens - f1.usage.prompt_tokens + 64
