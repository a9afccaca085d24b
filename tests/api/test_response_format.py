"""``response_format`` through the API with the real openai client: answers parse and validate; bad schemas are 400s.

The engine is a generated model that favours closing quotes, brackets and EOS, so answers under a
grammar end well within ``max_tokens`` (random weights: only the structure can be checked).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import openai
import pydantic
import pytest
from visiondesk.api import RequestLog, ServerConfig, create_app
from visiondesk.engine import ModelSpec
from visiondesk.engine.llama import LocalEngine

from tests.api.conftest import data_url, image_part, png_bytes
from tests.api.server_thread import ServerThread
from tests.model_factory import write_mmproj, write_text_model

RECEIPT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "merchant": {"type": "string", "maxLength": 16},
        "paid": {"type": "boolean"},
        "items": {"type": "array", "maxItems": 3, "items": {"type": "object", "properties": {
            "name": {"type": "string", "maxLength": 12}, "qty": {"type": "integer"}}, "required": ["name", "qty"]}},
        "total": {"type": "number"},
    },
    "required": ["merchant", "paid", "items", "total"],
}


class Label(pydantic.BaseModel):
    """What ``client.beta.chat.completions.parse`` turns into a strict json_schema."""

    product: str
    servings: int
    vegan: bool


@pytest.fixture(scope="module")
def json_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[openai.OpenAI]:
    d = tmp_path_factory.mktemp("json-api")
    model = write_text_model(d / "json-chat.gguf", favour=b'"]}')
    with LocalEngine() as engine:
        engine.load(ModelSpec(model=model, mmproj=write_mmproj(d / "json-mmproj.gguf"), n_ctx=1024, threads=1))
        with ServerThread(create_app(engine, ServerConfig(), RequestLog())) as server, \
                openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0, timeout=120) as client:
            yield client


def ask_receipt(client: openai.OpenAI, seed: int, strict: bool = True) -> str:
    r = client.chat.completions.create(
        model="json-chat", seed=seed, temperature=1.0, max_tokens=400,
        messages=[{"role": "user", "content": [{"type": "text", "text": "Read this receipt."},
                                               image_part(data_url(png_bytes((seed * 40 % 256, 90, 30))))]}],
        response_format={"type": "json_schema", "json_schema": {"name": "receipt", "schema": RECEIPT,
                                                                "strict": strict}})
    assert r.choices[0].finish_reason == "stop", r.choices[0].message.content
    text = r.choices[0].message.content
    assert text is not None
    return text


def test_json_schema_answers_parse_and_validate(json_client: openai.OpenAI) -> None:
    answers = set()
    for seed in range(4):
        text = ask_receipt(json_client, seed, strict=seed % 2 == 0)  # strict or not, the grammar enforces it
        value = json.loads(text)
        jsonschema.validate(value, RECEIPT)
        assert list(value) == list(RECEIPT["properties"])
        answers.add(text)
    assert len(answers) >= 3  # the seeds really sample (the schema, not a canned answer, made them valid)


def test_json_object_answers_are_objects(json_client: openai.OpenAI) -> None:
    for seed in range(3):
        r = json_client.chat.completions.create(model="x", seed=seed, temperature=1.0, max_tokens=400,
                                                messages=[{"role": "user", "content": "Describe it as JSON."}],
                                                response_format={"type": "json_object"})
        assert r.choices[0].finish_reason == "stop"
        assert isinstance(json.loads(r.choices[0].message.content or ""), dict)


def test_streamed_json_schema_answer_validates(json_client: openai.OpenAI) -> None:
    stream = json_client.chat.completions.create(
        model="x", seed=7, temperature=1.0, max_tokens=400, stream=True,
        messages=[{"role": "user", "content": "Read this receipt."}],
        response_format={"type": "json_schema", "json_schema": {"name": "receipt", "schema": RECEIPT}})
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    jsonschema.validate(json.loads(text), RECEIPT)


def test_pydantic_parse_gives_a_model_instance(json_client: openai.OpenAI) -> None:
    for seed in range(2):
        r = json_client.beta.chat.completions.parse(
            model="x", seed=seed, temperature=1.0, max_tokens=400, response_format=Label,
            messages=[{"role": "user", "content": "Read the nutrition label."}])
        label = r.choices[0].message.parsed
        assert isinstance(label, Label), r.choices[0].message.content
        assert isinstance(label.servings, int) and isinstance(label.vegan, bool)


@pytest.mark.parametrize(("schema", "named"), [
    ({"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}}, '"minimum" at /properties/n'),
    ({"type": "object", "properties": {"v": {"oneOf": [{"type": "string"}, {"type": "null"}]}}},
     '"oneOf" at /properties/v'),
    ({"type": "object", "properties": {"s": {"type": "string", "format": "email"}}}, 'format "email"'),
    ({"$ref": "https://example.com/schema.json"}, "https://example.com/schema.json"),
])
def test_unsupported_schema_is_a_400_naming_the_construct(json_client: openai.OpenAI, schema: dict[str, Any],
                                                          named: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        json_client.chat.completions.create(model="x", max_tokens=5, messages=[{"role": "user", "content": "Hi"}],
                                            response_format={"type": "json_schema",
                                                             "json_schema": {"name": "bad", "schema": schema}})
    body: Any = caught.value.body
    assert body["code"] == "unsupported_schema" and body["param"] == "response_format.json_schema.schema"
    assert named in body["message"], body["message"]
    after = json_client.chat.completions.create(model="x", max_tokens=3, messages=[{"role": "user", "content": "Hi"}])
    assert after.choices[0].message.content is not None  # the server is fine afterwards


def test_text_format_is_free_text(json_client: openai.OpenAI) -> None:
    """The control: without a format this model writes no JSON object, so the grammar made the ones above."""
    r = json_client.chat.completions.create(model="x", temperature=1.0, seed=3, max_tokens=30,
                                            messages=[{"role": "user", "content": "Hi"}],
                                            response_format={"type": "text"})
    try:
        value = json.loads(r.choices[0].message.content or "")
    except json.JSONDecodeError:
        value = None
    assert not isinstance(value, dict)
