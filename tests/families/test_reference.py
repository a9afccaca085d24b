"""The engine's answers equal libmtmd's own reading of the same prompt, for every family.

``tests/families/reference.py`` evaluates the whole prompt with ``mtmd_tokenize`` and
``mtmd_helper_eval_chunks`` (libmtmd's positions, M-RoPE included, and its attention modes) and
decodes greedily. The engine tokenizes text between media markers itself, evaluates images one by
one from its caches and reuses earlier turns; its answers must be the same, and its prompt size the
number of tokens (KV cells) libmtmd counts.
"""

from __future__ import annotations

from pathlib import Path

from visiondesk.engine import Message, ModelSpec
from visiondesk.engine.images import prepare_image
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.llama.chat_template import render_prompt

from tests.engine.conftest import run
from tests.families.families import Family
from tests.families.reference import Reference, reference_answer


def reference(family: tuple[Family, ModelSpec], messages: list[Message]) -> Reference:
    fam, spec = family
    assert spec.mmproj is not None
    prompt = render_prompt(fam.text.chat_template, messages, bos_token=fam.text.bos, eos_token=fam.text.eos)
    images = [prepare_image(img) for m in messages for img in m.images]
    return reference_answer(spec.model, spec.mmproj, prompt, images)


def test_one_image_as_libmtmd_reads_it(fresh: LocalEngine, family: tuple[Family, ModelSpec],
                                       photos: dict[str, Path]) -> None:
    q = [Message.user("What is in the picture?", photos["red"])]
    text, fin, _ = run(fresh, q)
    ref = reference(family, q)
    assert fin.usage.prompt_tokens == ref.n_tokens  # KV cells: M-RoPE images take fewer positions
    assert text == ref.answer
    if family[0].slices:
        assert ref.image_chunks > 1  # the image was cut into slices (and an overview)
    else:
        assert ref.image_chunks == 1


def test_a_conversation_with_three_images_as_libmtmd_reads_it(fresh: LocalEngine, family: tuple[Family, ModelSpec],
                                                               photos: dict[str, Path]) -> None:
    q1 = Message.user("Look at these.", photos["red"], photos["tall"])
    a1, _, _ = run(fresh, [q1])
    conv = [q1, Message.assistant(a1), Message.user("And this one?", photos["blue"])]
    text, fin, _ = run(fresh, conv)  # the first turn comes from the cache
    assert fin.usage.images_reused == 2 and fin.usage.images_encoded == 1
    ref = reference(family, conv)
    assert fin.usage.prompt_tokens == ref.n_tokens  # KV cells: M-RoPE images take fewer positions
    assert text == ref.answer
