"""Answers under a JSON schema on a generated model: they always parse and validate; bad schemas are refused first.

Random weights say nothing about quality, so what is checked is structure: over many seeds (temperature
above 0, so answers vary) every answer is complete JSON that validates, for a rich test schema and for
every preset's schema.
"""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from visiondesk.batch import all_presets
from visiondesk.engine import (
    AnswerInvalid,
    Finished,
    Message,
    ModelSpec,
    ParallelRequest,
    ResponseFormat,
    SamplingParams,
    StopReason,
    TextDelta,
    Tuning,
    UnsupportedSchema,
)
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.structured import parse_answer

from tests.batch.conftest import json_spec, make_images
from tests.engine.conftest import collect_parallel
from tests.model_factory import TextShape, write_text_model

RICH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "merchant": {"type": "string", "maxLength": 12},
        "date": {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}]},
        "currency": {"type": "string", "pattern": "^[A-Z][A-Z][A-Z]$"},
        "kind": {"enum": ["food", "fuel", "other"]},
        "paid": {"type": "boolean"},
        "items": {"type": "array", "maxItems": 3, "items": {"$ref": "#/$defs/item"}},
        "total": {"type": "number"},
    },
    "required": ["merchant", "date", "currency", "kind", "paid", "items", "total"],
    "$defs": {"item": {"type": "object", "properties": {"name": {"type": "string"}, "qty": {"type": "integer"}},
                       "required": ["name", "qty"]}},
}


@pytest.fixture(scope="module")
def picture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_images(tmp_path_factory.mktemp("picture"), 1)[0]


def ask(engine: LocalEngine, picture: Path, sampling: SamplingParams) -> tuple[str, Finished]:
    events = list(engine.chat([Message.user("Read this receipt.", picture)], sampling))
    final = events[-1]
    assert isinstance(final, Finished)
    assert final.error is None, final.error
    return "".join(e.text for e in events if isinstance(e, TextDelta)), final


def test_every_answer_validates_for_20_seeds(json_engine: LocalEngine, picture: Path) -> None:
    fmt = ResponseFormat.json_schema(RICH_SCHEMA)
    answers = []
    for seed in range(20):
        text, final = ask(json_engine, picture, SamplingParams(temperature=1.0, seed=seed, max_tokens=400,
                                                               response_format=fmt))
        assert final.stop_reason is StopReason.END, (seed, text)
        value = parse_answer(fmt, text)
        assert list(value) == list(RICH_SCHEMA["properties"])  # the schema's order
        answers.append(text)
    assert len(set(answers)) >= 15  # the seeds really sample different answers


@pytest.mark.parametrize("name", sorted(all_presets()))
def test_every_preset_schema_gives_valid_answers(json_engine: LocalEngine, picture: Path, name: str) -> None:
    preset = all_presets()[name]
    fmt = preset.response_format()
    assert fmt is not None
    for seed in range(4):
        text, final = ask(json_engine, picture, SamplingParams(temperature=0.9, seed=100 + seed, max_tokens=400,
                                                               response_format=fmt))
        assert final.stop_reason is StopReason.END, (name, seed, text)
        parse_answer(fmt, text)


def test_json_object_mode_gives_an_object(json_engine: LocalEngine, picture: Path) -> None:
    fmt = ResponseFormat.json_object()
    for seed in range(10):
        text, _ = ask(json_engine, picture, SamplingParams(temperature=1.0, seed=seed, max_tokens=400,
                                                           response_format=fmt))
        assert isinstance(json.loads(text), dict)


def test_greedy_answers_go_through_the_grammar_too(json_engine: LocalEngine, picture: Path) -> None:
    """Plain greedy normally skips the native chain (a host argmax): not under a grammar."""
    fmt = ResponseFormat.json_schema(RICH_SCHEMA)
    greedy = SamplingParams(temperature=0.0, repeat_penalty=1.0, max_tokens=400, response_format=fmt)
    first, _ = ask(json_engine, picture, greedy)
    again, _ = ask(json_engine, picture, greedy)  # the kept sampler's grammar was reset in between
    assert first == again
    parse_answer(fmt, first)


def test_without_a_grammar_the_same_model_writes_no_json(json_engine: LocalEngine, picture: Path) -> None:
    """The control: it is the grammar, not the model, that makes the answers valid."""
    fmt = ResponseFormat.json_object()
    failures = 0
    for seed in range(5):
        text, _ = ask(json_engine, picture, SamplingParams(temperature=1.0, seed=seed, max_tokens=40))
        try:
            parse_answer(fmt, text)
        except AnswerInvalid:
            failures += 1
    assert failures == 5


def test_an_answer_cut_at_max_tokens_is_reported_invalid(json_engine: LocalEngine, picture: Path) -> None:
    fmt = ResponseFormat.json_schema(RICH_SCHEMA)
    text, final = ask(json_engine, picture, SamplingParams(temperature=1.0, seed=1, max_tokens=5,
                                                           response_format=fmt))
    assert final.stop_reason is StopReason.LENGTH
    with pytest.raises(AnswerInvalid, match="not JSON"):
        parse_answer(fmt, text)


@pytest.mark.parametrize(("schema", "construct", "where"), [
    ({"type": "object", "properties": {"total": {"type": "number", "minimum": 0}}}, '"minimum"', "/properties/total"),
    ({"type": "array", "items": {"type": "string"}, "uniqueItems": True}, '"uniqueItems"', "the top level"),
    ({"oneOf": [{"type": "string"}, {"type": "integer"}]}, '"oneOf"', "the top level"),
    ({"allOf": [{"type": "object"}]}, '"allOf"', "the top level"),
    ({"type": "object", "patternProperties": {"^x": {"type": "string"}}}, '"patternProperties"', "the top level"),
    ({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]}, '"b"', "the top level"),
    ({"type": "string", "pattern": "^\\d+$"}, "/^\\d+$/", "/pattern"),
    ({"type": "string", "pattern": "[a-z]+"}, "/[a-z]+/", "/pattern"),
    ({"type": "string", "format": "email"}, '"email"', "the top level"),
    ({"type": "string", "pattern": "^a+$", "maxLength": 3}, '"maxLength"', "the top level"),
    ({"type": ["string", "null"], "maxLength": 3}, '"maxLength"', "the top level"),
    ({"$ref": "https://example.com/schema.json"}, "https://example.com/schema.json", "the top level"),
    ({"type": "object", "properties": {"a": {"$ref": "#/$defs/missing"}}}, "#/$defs/missing", "/properties/a"),
    ({"type": "object", "properties": {"a": {"description": "no type"}}}, "without a type", "/properties/a"),
    ({"type": "strnig"}, "the schema", "/type"),
    ({"type": "object", "properties": {"a": {"type": "integer", "multipleOf": 5}}}, '"multipleOf"',
     "/properties/a"),
])
def test_unsupported_schemas_are_refused_naming_the_construct(schema: dict[str, Any], construct: str,
                                                              where: str) -> None:
    with pytest.raises(UnsupportedSchema) as refused:
        SamplingParams(response_format=ResponseFormat.json_schema(schema))
    assert construct in refused.value.construct, str(refused.value)
    assert refused.value.where == where, str(refused.value)
    assert str(refused.value).startswith(f"The JSON schema cannot be used: {refused.value.construct} at {where} ")


def test_refusal_happens_in_the_parent_before_any_model_runs(json_models: tuple[Path, Path]) -> None:
    """Building the request refuses the schema; neither llama.cpp nor a model process is involved."""
    code = ("import sys\n"
            "from visiondesk.engine import ResponseFormat, UnsupportedSchema\n"
            "ResponseFormat.json_schema({'type': 'object', 'properties': {'a': {'type': 'string'}}})\n"
            "try:\n"
            "    ResponseFormat.json_schema({'type': 'integer', 'maximum': 3})\n"
            "except UnsupportedSchema as e:\n"
            "    print(e)\n"
            "print('llama_cpp loaded' if 'llama_cpp' in sys.modules else 'llama_cpp not loaded')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert '"maximum" at the top level' in out.stdout
    assert "llama_cpp not loaded" in out.stdout


def test_the_request_stays_hashable_and_comparable() -> None:
    """SamplingParams is compared to decide whether the child keeps its sampler chain."""
    a = SamplingParams(response_format=ResponseFormat.json_schema(RICH_SCHEMA))
    b = SamplingParams(response_format=ResponseFormat.json_schema(RICH_SCHEMA))
    assert a == b and hash(a) == hash(b)
    assert a != SamplingParams(response_format=ResponseFormat.json_object())
    assert "root ::=" in a.response_format.grammar  # type: ignore[union-attr]


def test_openai_response_formats_round_trip() -> None:
    """What the API server accepts and what a remote backend sends: OpenAI's ``response_format`` shapes."""
    from visiondesk.engine.structured import from_openai, to_openai

    assert from_openai(None) is None and from_openai({"type": "text"}) is None
    assert from_openai({"type": "json_object"}) == ResponseFormat.json_object()
    payload = {"type": "json_schema", "json_schema": {"name": "receipt", "schema": RICH_SCHEMA, "strict": True}}
    fmt = from_openai(payload)
    assert fmt == ResponseFormat.json_schema(RICH_SCHEMA, "receipt")
    assert to_openai(fmt) == payload  # type: ignore[arg-type]
    assert to_openai(ResponseFormat.json_object()) == {"type": "json_object"}
    with pytest.raises(UnsupportedSchema, match='"minimum" at /properties/n'):
        from_openai({"type": "json_schema", "json_schema": {"name": "x", "schema": {
            "type": "object", "properties": {"n": {"type": "number", "minimum": 1}}}}})
    with pytest.raises(UnsupportedSchema, match="type 'yaml' at /type is unknown"):
        from_openai({"type": "yaml"})


def test_the_grammar_checks_the_pick_instead_of_the_whole_vocabulary(tmp_path: Path) -> None:
    """With 32k tokens, filtering every candidate through the grammar made each token ~24x slower here (10 ms
    against 0.4); checking the chain's pick first keeps a structured answer about as fast as free text."""
    model = write_text_model(tmp_path / "wide-vocab.gguf", shape=TextShape(extra_vocab=31_700))
    fmt = ResponseFormat.json_schema({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]})

    def ms_per_token(engine: LocalEngine, sampling: SamplingParams) -> float:
        best = math.inf
        for _ in range(3):
            final = list(engine.chat([Message.user("Say something.")], sampling))[-1]
            assert isinstance(final, Finished) and final.usage.completion_tokens > 20
            best = min(best, final.timings.decode_ms / (final.usage.completion_tokens - 1))
        return best

    with LocalEngine() as engine:
        engine.load(ModelSpec(model=model, n_ctx=1024, threads=1))
        free = ms_per_token(engine, SamplingParams(temperature=1.0, seed=1, max_tokens=150))
        structured = ms_per_token(engine, SamplingParams(temperature=1.0, seed=1, max_tokens=150,
                                                         response_format=fmt))
    assert structured < 4 * free + 0.5, (structured, free)


def test_prompts_read_ahead_answer_under_a_schema_as_the_slots_do(json_models: tuple[Path, Path],
                                                                   tmp_path: Path) -> None:
    """Reading ahead (the default on CUDA) under a JSON schema, as the batch presets run: seven requests on
    three slots, four of them read in the second context; every answer validates and equals the plain
    parallel path's (the grammar starts from the held-back last prompt token's logits, as in the slot)."""
    fmt = ResponseFormat.json_schema(RICH_SCHEMA)
    requests = [ParallelRequest(i, [Message.user(f"Read this receipt ({i}).", p)],
                                SamplingParams(temperature=1.0, seed=i, max_tokens=400, response_format=fmt))
                for i, p in enumerate(make_images(tmp_path, 7))]
    texts: dict[bool, dict[int, str]] = {}
    for read_ahead in (True, False):
        spec = dataclasses.replace(json_spec(json_models), parallel=3, tuning=Tuning(read_ahead=read_ahead))
        with LocalEngine() as e:
            e.load(spec)
            got, finals, _ = collect_parallel(e.chat_parallel(requests))
        assert all(f.error is None and f.stop_reason is StopReason.END for f in finals.values()), finals
        ahead = {k for k, f in finals.items() if f.usage.images_encoded_ahead}
        assert ahead == (set(range(3, 7)) if read_ahead else set())
        texts[read_ahead] = got
    assert texts[True] == texts[False] and len(texts[True]) == 7
    for text in texts[True].values():
        assert list(parse_answer(fmt, text)) == list(RICH_SCHEMA["properties"])
