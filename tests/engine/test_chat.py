"""The real engine on generated models: images, turns, streaming, determinism, stop reasons."""

from __future__ import annotations

from pathlib import Path

from visiondesk.engine import Message, SamplingParams, Stage, StageChanged, StopReason, TextDelta, Tuning
from visiondesk.engine.llama import LocalEngine

from tests.engine.conftest import GREEDY, run, spec
from tests.model_factory import GeneratedModels

IMAGE_TOKENS = 16  # 32 px image, 8 px patches


def test_image_and_text(engine: LocalEngine, images: dict[str, Path]) -> None:
    text, fin, _ = run(engine, [Message.user("What is in this picture?", images["red"])])
    assert fin.error is None
    assert fin.stop_reason is StopReason.LENGTH
    assert fin.usage.completion_tokens == GREEDY.max_tokens
    assert fin.usage.images_encoded == 1
    assert fin.usage.prompt_tokens > IMAGE_TOKENS
    assert text.strip()


def test_the_image_reaches_the_model(engine: LocalEngine, images: dict[str, Path]) -> None:
    red, _, _ = run(engine, [Message.user("Describe.", images["red"])])
    blue, _, _ = run(engine, [Message.user("Describe.", images["blue"])])
    assert red != blue


def test_two_images_in_one_message(engine: LocalEngine, images: dict[str, Path]) -> None:
    _, one, _ = run(engine, [Message.user("Compare.", images["red"])])
    _, two, _ = run(engine, [Message.user("Compare.", images["red"], images["green"])])
    assert two.error is None
    assert two.usage.prompt_tokens == one.usage.prompt_tokens + IMAGE_TOKENS
    assert two.usage.images_encoded + two.usage.images_reused == 2


def test_text_only(engine: LocalEngine) -> None:
    text, fin, events = run(engine, [Message.user("Say something.")])
    assert fin.error is None and text
    assert not any(isinstance(e, StageChanged) and e.stage is Stage.ENCODING_IMAGE for e in events)
    assert fin.usage.images_encoded == 0


def test_text_only_model_without_projector(test_models: GeneratedModels) -> None:
    with LocalEngine() as e:
        result = e.load(spec(test_models, mmproj=None))
        assert result.vision is False
        text, fin, _ = run(e, [Message.user("Hello there")])
        assert fin.error is None and text


def test_several_turns(engine: LocalEngine, images: dict[str, Path]) -> None:
    history: list[Message] = []
    for i, question in enumerate(["What is this?", "And the colour?", "Anything else?"]):
        turn = Message.user(question, images["green"]) if i == 0 else Message.user(question)
        text, fin, _ = run(engine, [*history, turn])
        assert fin.error is None and text
        history += [turn, Message.assistant(text)]
    assert fin.usage.images_encoded == 0  # later turns reuse the image
    assert fin.usage.prompt_tokens_evaluated < fin.usage.prompt_tokens


def test_stream_order_and_timestamps(engine: LocalEngine, images: dict[str, Path]) -> None:
    engine.reset_conversation()
    _, fin, events = run(engine, [Message.user("Look.", images["blue"])], GREEDY)
    stages = [e.stage for e in events if isinstance(e, StageChanged)]
    assert stages[0] is Stage.READING_PROMPT and stages[-1] is Stage.GENERATING
    first_text = next(i for i, e in enumerate(events) if isinstance(e, TextDelta))
    generating = next(i for i, e in enumerate(events) if isinstance(e, StageChanged) and e.stage is Stage.GENERATING)
    assert generating < first_text
    assert events[-1] is fin
    times = [e.t for e in events]
    assert times == sorted(times)


def test_cjk_from_byte_tokens_streams_whole_characters(test_models: GeneratedModels) -> None:
    with LocalEngine() as e:
        e.load(spec(test_models, model=test_models.cjk_model, mmproj=None))
        deltas = [ev for ev in e.chat([Message.user("写点什么")], SamplingParams(temperature=0, max_tokens=30,
                                                                             repeat_penalty=1.0))
                  if isinstance(ev, TextDelta)]
    text = "".join(d.text for d in deltas)
    assert text == "中文" * 5  # 30 byte tokens = 10 characters of 3 bytes
    assert "\ufffd" not in text
    for d in deltas:
        assert d.text and all(ch in "中文" for ch in d.text)


def test_greedy_is_deterministic_across_engines(test_models: GeneratedModels, images: dict[str, Path]) -> None:
    answers = []
    for _ in range(2):
        with LocalEngine() as e:
            e.load(spec(test_models))
            answers.append(run(e, [Message.user("Describe.", images["red"])])[0])
            answers.append(run(e, [Message.user("Describe.", images["red"])])[0])  # served from cache
    assert len(set(answers)) == 1


def test_sampling_with_seed_is_reproducible(engine: LocalEngine) -> None:
    s = SamplingParams(temperature=1.0, top_k=40, top_p=0.95, min_p=0.0, seed=42, max_tokens=12)
    a = run(engine, [Message.user("Tell me")], s)[0]
    b = run(engine, [Message.user("Tell me")], s)[0]
    c = run(engine, [Message.user("Tell me")], SamplingParams(**{**s.__dict__, "seed": 7}))[0]
    assert a == b
    assert a != c


def test_stop_reason_end(test_models: GeneratedModels) -> None:
    with LocalEngine() as e:
        e.load(spec(test_models, model=test_models.ending_model, mmproj=None))
        text, fin, _ = run(e, [Message.user("Hi")], SamplingParams(temperature=0, max_tokens=50))
    assert fin.stop_reason is StopReason.END
    assert text == "中文"
    assert fin.usage.completion_tokens == 6


def test_stop_reason_stop_string(engine: LocalEngine) -> None:
    full, _, _ = run(engine, [Message.user("Go on")], SamplingParams(temperature=0, max_tokens=24))
    stop = full[5:8]
    cut = full.index(stop)
    text, fin, _ = run(engine, [Message.user("Go on")],
                       SamplingParams(temperature=0, max_tokens=24, stop=(stop,)))
    assert fin.stop_reason is StopReason.STOP_STRING
    assert text == full[:cut]


def test_stop_reason_length_and_usage(engine: LocalEngine) -> None:
    _, fin, _ = run(engine, [Message.user("Go on")], SamplingParams(temperature=0, max_tokens=5))
    assert fin.stop_reason is StopReason.LENGTH
    assert fin.usage.completion_tokens == 5
    assert fin.timings.ttft_ms > 0
    assert fin.backend == "CPU"


def image_turns_per_mode(test_models: GeneratedModels, image: Path, switch: str,
                         sampling: SamplingParams) -> dict[bool, tuple[str, str]]:
    """An image question and a follow-up, in a fresh engine with the ``Tuning`` field ``switch`` off and on."""
    answers = {}
    for mode in (False, True):
        with LocalEngine() as e:
            e.load(spec(test_models, tuning=Tuning(**{switch: mode})))
            q = [Message.user("Describe.", image)]
            a, _, _ = run(e, q, sampling)
            b, _, _ = run(e, [*q, Message.assistant(a), Message.user("More?")], sampling)
            answers[mode] = (a, b)
    return answers


def test_on_device_sampling_matches_host_sampling(test_models: GeneratedModels, images: dict[str, Path]) -> None:
    """Sampling inside the decode graph (used when the output layer is on a GPU) changes nothing."""
    answers = image_turns_per_mode(test_models, images["green"], "device_sampling",
                                   SamplingParams(temperature=0, max_tokens=24, repeat_penalty=1.0))
    assert answers[False] == answers[True]


def test_plain_greedy_picks_what_llama_cpps_greedy_sampler_picks(test_models: GeneratedModels,
                                                                 images: dict[str, Path]) -> None:
    """Plain greedy on the host is an argmax over llama.cpp's logits; its native greedy sampler agrees."""
    answers = image_turns_per_mode(test_models, images["blue"], "host_greedy",
                                   SamplingParams(temperature=0, max_tokens=32, repeat_penalty=1.0))
    assert answers[True] == answers[False]
    assert len(set(answers[True][0])) > 3  # a varied answer, not one token over and over


def test_only_plain_greedy_on_the_host_skips_the_native_chain() -> None:
    from visiondesk.engine.llama.worker.sampling import GreedyArgmax, sample_on_device, token_picker

    def fast(params: SamplingParams, on_device: bool = False, host_greedy: bool = True) -> bool:
        return isinstance(token_picker(params, None, None, 8, on_device, host_greedy), GreedyArgmax)

    plain = SamplingParams(temperature=0, repeat_penalty=1.0)
    assert fast(plain)
    assert not fast(plain, on_device=True)  # the device samples in its graph
    assert not fast(SamplingParams(temperature=0, repeat_penalty=1.1))  # penalties need the chain
    assert not fast(SamplingParams(temperature=0.7, repeat_penalty=1.0))
    assert not fast(plain, host_greedy=False)  # Tuning(host_greedy=False)
    # Tuning.device_sampling: None follows where the output layer runs; True/False force it.
    assert sample_on_device(33, 32) and not sample_on_device(32, 32)
    assert sample_on_device(0, 32, forced=True) and not sample_on_device(33, 32, forced=False)
