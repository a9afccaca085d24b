"""Reuse across turns: follow-ups evaluate only new tokens; regenerate and edit match a cold start."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image
from visiondesk.engine import Message, Tuning
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.llama.worker.prompt_cache import (
    FA_TILE,
    ImagePart,
    ImageSegment,
    ReusePlan,
    TextPart,
    TextSegment,
    plan_reuse,
    split_prompt,
    widen_small_batch,
)

from tests.engine.conftest import run, spec
from tests.model_factory import GeneratedModels


@pytest.fixture
def fresh(test_models: GeneratedModels):  # noqa: ANN201
    with LocalEngine() as e:
        e.load(spec(test_models))
        yield e


def cold(test_models: GeneratedModels, messages: list[Message]) -> str:
    with LocalEngine() as e:
        e.load(spec(test_models))
        return run(e, messages)[0]


def test_follow_up_reads_only_the_new_turn(fresh: LocalEngine, images: dict[str, Path]) -> None:
    q1 = Message.user("What is in the picture?", images["red"])
    a1, f1, _ = run(fresh, [q1])
    assert f1.usage.images_encoded == 1
    q2 = Message.user("And what colour is it?")
    _, f2, _ = run(fresh, [q1, Message.assistant(a1), q2])
    assert f2.usage.images_encoded == 0 and f2.usage.images_reused == 1
    # Everything from the first turn stays: its prompt and the answer it generated (all but the last
    # sampled token, which was never decoded).
    reused = f2.usage.prompt_tokens - f2.usage.prompt_tokens_evaluated
    assert reused == f1.usage.prompt_tokens + f1.usage.completion_tokens - 1
    # The rest is small: the new question plus a little template text.
    assert f2.usage.prompt_tokens_evaluated < len("<|im_end|>\n<|im_start|>user\nAnd what colour is it?") + 30


def test_regenerate_matches_cold_start_without_rereading(fresh: LocalEngine, images: dict[str, Path],
                                                        test_models: GeneratedModels) -> None:
    q = [Message.user("Describe it.", images["blue"])]
    first, _, _ = run(fresh, q)
    again, f, _ = run(fresh, q)
    assert again == first == cold(test_models, q)
    assert f.usage.prompt_tokens_evaluated == 1  # only the last prompt token, for fresh logits
    assert f.usage.images_encoded == 0


def test_edit_matches_cold_start(fresh: LocalEngine, images: dict[str, Path], test_models: GeneratedModels) -> None:
    q1 = Message.user("What is this?", images["green"])
    a1, _, _ = run(fresh, [q1])
    run(fresh, [q1, Message.assistant(a1), Message.user("Tell me more")])
    edited = [q1, Message.assistant(a1), Message.user("Tell me less")]
    text, f, _ = run(fresh, edited)
    assert text == cold(test_models, edited)
    assert f.usage.images_encoded == 0
    assert f.usage.prompt_tokens_evaluated < f.usage.prompt_tokens


def test_edit_of_the_first_message_rereads_but_does_not_reencode(fresh: LocalEngine, images: dict[str, Path],
                                                                 test_models: GeneratedModels) -> None:
    run(fresh, [Message.user("What is this?", images["red"])])
    edited = [Message.user("What is that?", images["red"])]
    text, f, _ = run(fresh, edited)
    assert text == cold(test_models, edited)
    assert f.usage.images_encoded == 0  # the embedding store had it


def test_switching_conversations_uses_the_embedding_store(fresh: LocalEngine, images: dict[str, Path]) -> None:
    conv_a = [Message.user("A?", images["red"])]
    conv_b = [Message.user("B?", images["blue"])]
    run(fresh, conv_a)
    run(fresh, conv_b)
    _, back, _ = run(fresh, conv_a)
    assert back.usage.images_encoded == 0 and back.usage.images_reused == 1
    assert back.usage.prompt_tokens_evaluated > 16  # the KV cache held B, so A is read again


def test_image_identity_is_its_pixels(fresh: LocalEngine, images: dict[str, Path], tmp_path: Path) -> None:
    run(fresh, [Message.user("One", images["red"])])
    renamed = tmp_path / "holiday photo.png"
    shutil.copy(images["red"], renamed)
    _, f, _ = run(fresh, [Message.user("Two", renamed)])
    assert f.usage.images_encoded == 0
    edited = tmp_path / "edited.png"
    img = Image.open(images["red"]).convert("RGB")
    img.putpixel((10, 10), (0, 0, 0))
    img.save(edited)
    _, g, _ = run(fresh, [Message.user("Three", edited)])
    assert g.usage.images_encoded == 1


# ---- the prefix logic on its own ---------------------------------------------------------------


def text(*tokens: int) -> TextSegment:
    return TextSegment(list(tokens))


def test_split_prompt_alternates_text_and_images() -> None:
    parts = split_prompt("a<m><m>b", "<m>", ["d1", "d2"])
    assert parts == [TextPart(b"a", True), ImagePart(0, "d1"), TextPart(b""), ImagePart(1, "d2"), TextPart(b"b")]
    with pytest.raises(ValueError):
        split_prompt("a<m>", "<m>", [])


def test_plan_keeps_everything_up_to_the_new_turn() -> None:
    cache = [text(1, 2), ImageSegment("d1", 16, 16), text(5, 6, 7, 8)]
    items = [text(1, 2), ImagePart(0, "d1"), text(5, 6, 7, 8, 9, 10)]
    plan = plan_reuse(cache, items)
    assert plan.keep_pos == 2 + 16 + 4
    assert plan.todo == [text(9, 10)]


def test_plan_cuts_inside_text_at_the_first_different_token() -> None:
    plan = plan_reuse([text(1, 2, 3, 4)], [text(1, 2, 7, 8)])
    assert plan.keep_pos == 2
    assert plan.kept == [text(1, 2)]
    assert plan.todo == [text(7, 8)]


def test_plan_stops_at_a_different_image() -> None:
    cache = [text(1), ImageSegment("d1", 16, 16), text(2)]
    plan = plan_reuse(cache, [text(1), ImagePart(0, "d2"), text(2)])
    assert plan.keep_pos == 1
    assert plan.todo == [ImagePart(0, "d2"), text(2)]


def test_plan_for_an_identical_prompt_leaves_nothing_to_do() -> None:
    plan = plan_reuse([text(1, 2, 3)], [text(1, 2, 3)])
    assert plan.keep_pos == 3 and plan.todo == [text()]


def test_follow_up_does_not_decode_or_send_the_image_again(fresh: LocalEngine, images: dict[str, Path],
                                                          tmp_path: Path) -> None:
    """The parent remembers checked images; the child asks for pixels only when it must evaluate them."""
    photo = tmp_path / "photo.png"
    shutil.copy(images["red"], photo)
    q1 = Message.user("What is it?", photo)
    a1, _, _ = run(fresh, [q1])
    # Make the file undecodable but keep its size and modification time: a follow-up that re-read it
    # would fail, one that trusts the remembered identity and the child's cache succeeds.
    st = photo.stat()
    photo.write_bytes(b"\0" * st.st_size)
    import os

    os.utime(photo, ns=(st.st_atime_ns, st.st_mtime_ns))
    _, f2, _ = run(fresh, [q1, Message.assistant(a1), Message.user("Sure?")])
    assert f2.error is None
    assert f2.usage.images_reused == 1


def test_pixels_are_fetched_when_the_child_needs_them(fresh: LocalEngine, images: dict[str, Path]) -> None:
    run(fresh, [Message.user("A", images["red"])])
    fresh.reset_conversation()  # the KV cache forgets; the embedding store still holds the image
    _, f, _ = run(fresh, [Message.user("A", images["red"])])
    assert f.error is None and f.usage.images_encoded == 0 and f.usage.images_reused == 1


def test_a_short_batch_deep_in_the_cache_is_widened_to_the_flash_attention_tile() -> None:
    img = ImageSegment("d", 576, 576)
    plan = ReusePlan([img, text(*range(100, 166))], 576 + 66, [text(*range(1, 41))])
    wide = widen_small_batch(plan)
    assert wide.keep_pos == 642 - 24
    assert wide.kept == [img, text(*range(100, 142))]
    assert wide.todo == [text(*range(142, 166), *range(1, 41))]
    assert len(wide.todo[0].tokens) == FA_TILE


def test_batches_are_widened_only_where_that_is_cheaper() -> None:
    img = ImageSegment("d", 576, 576)

    def plan(n: int, cached_text: int = 66, image: bool = True) -> ReusePlan:
        kept: list[ImageSegment | TextSegment] = [img] if image else []
        kept.append(text(*range(cached_text)))
        return ReusePlan(kept, (576 if image else 0) + cached_text, [text(*range(1000, 1000 + n))])

    unchanged = [
        plan(8),  # a few tokens attend little in all
        plan(64), plan(100),  # already a full tile
        plan(30, cached_text=10),  # not enough cached text to move back
        plan(24, cached_text=300, image=False),  # shallow: 24 x 300 < 40 x 260
        ReusePlan([text(*range(66)), img], 642, [text(*range(40))]),  # the cache ends in an image
        ReusePlan([img, text(*range(66))], 642, [ImagePart(0, "e"), text(1, 2)]),  # an image to evaluate
        ReusePlan([img, text(*range(66))], 642, [text()]),  # nothing new (regenerate)
    ]
    for p in unchanged:
        assert widen_small_batch(p) == p
    assert widen_small_batch(plan(40, cached_text=300, image=False)).keep_pos == 300 - 24


def test_a_widened_follow_up_answers_like_a_cold_start(fresh: LocalEngine, images: dict[str, Path],
                                                       test_models: GeneratedModels) -> None:
    """A follow-up of 24-63 new tokens after a long first turn is read as one 64-token batch (CPU).

    The first turn stays under 512 text tokens after the image, so a cold start reads all of it in
    one batch of more than 64 tokens, with the same flash-attention kernel as the widened batch (a
    batch of fewer than 64 tokens takes another kernel, whose rounding differs).
    """
    q1 = Message.user("Please look at this picture carefully. " * 6, images["green"])
    a1, f1, _ = run(fresh, [q1])
    follow = [q1, Message.assistant(a1), Message.user("More colours?")]
    a2, f2, _ = run(fresh, follow)
    assert f2.usage.images_encoded == 0 and f2.usage.images_reused == 1
    assert f2.usage.prompt_tokens_evaluated == FA_TILE
    assert a2 == cold(test_models, follow)


def test_widening_is_a_typed_switch_of_the_load_request(test_models: GeneratedModels,
                                                        images: dict[str, Path]) -> None:
    """``Tuning(widen_batches=False)`` (the benchmark's A/B) reads the same follow-up's new tokens alone."""
    q1 = Message.user("Please look at this picture carefully. " * 6, images["green"])
    with LocalEngine() as e:
        e.load(spec(test_models, tuning=Tuning(widen_batches=False)))
        a1, _, _ = run(e, [q1])
        _, f2, _ = run(e, [q1, Message.assistant(a1), Message.user("More colours?")])
    assert f2.usage.images_encoded == 0 and f2.usage.images_reused == 1
    assert 0 < f2.usage.prompt_tokens_evaluated < FA_TILE
