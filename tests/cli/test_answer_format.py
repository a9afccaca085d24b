"""``visiondesk ask --json-schema FILE`` / ``--json`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.cli.test_chat_commands import visiondesk
from tests.model_factory import write_mmproj, write_text_model

SCHEMA = {"type": "object", "properties": {"kind": {"enum": ["food", "fuel"]}, "paid": {"type": "boolean"},
                                           "note": {"type": "string", "maxLength": 10}},
          "required": ["kind", "paid", "note"]}


@pytest.fixture(scope="module")
def json_model(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A generated model that favours closing quotes and EOS, so answers under a grammar end soon."""
    d = tmp_path_factory.mktemp("json-cli")
    model = write_text_model(d / "json-chat.gguf", favour=b'"]}')
    return ["--model", str(model), "--mmproj", str(write_mmproj(d / "json-mmproj.gguf")), "--threads", "1",
            "--ctx", "1024", "--temperature", "1.0"]


def test_ask_json_schema_answer_validates(json_model: list[str], tmp_path: Path) -> None:
    schema = tmp_path / "receipt.json"
    schema.write_text(json.dumps(SCHEMA))
    for seed in ("1", "2"):
        r = visiondesk("ask", *json_model, "--seed", seed, "--max-tokens", "300", "--json-schema", str(schema),
                       "Read the receipt.")
        assert r.returncode == 0, r.stderr
        jsonschema.validate(json.loads(r.stdout), SCHEMA)


def test_ask_json_gives_an_object(json_model: list[str]) -> None:
    r = visiondesk("ask", *json_model, "--seed", "4", "--max-tokens", "300", "--json", "Describe it.")
    assert r.returncode == 0, r.stderr
    assert isinstance(json.loads(r.stdout), dict)


def test_ask_refuses_an_unsupported_schema_before_loading(json_model: list[str], tmp_path: Path) -> None:
    schema = tmp_path / "bad.json"
    schema.write_text(json.dumps({"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}}))
    r = visiondesk("ask", *json_model, "--json-schema", str(schema), "hi")
    assert r.returncode == 2 and '"minimum" at /properties/n' in r.stderr, r.stderr
    assert "loading the model" not in r.stderr and "Traceback" not in r.stderr
    r = visiondesk("ask", *json_model, "--json-schema", str(tmp_path / "missing.json"), "hi")
    assert r.returncode == 2 and "missing.json" in r.stderr and "loading the model" not in r.stderr
    (tmp_path / "broken.json").write_text("{not json")
    r = visiondesk("ask", *json_model, "--json-schema", str(tmp_path / "broken.json"), "hi")
    assert r.returncode == 2 and "not valid JSON" in r.stderr


def test_ask_answer_cut_short_is_invalid_exit_1(json_model: list[str], tmp_path: Path) -> None:
    schema = tmp_path / "receipt.json"
    schema.write_text(json.dumps(SCHEMA))
    r = visiondesk("ask", *json_model, "--max-tokens", "3", "--json-schema", str(schema), "Read it.")
    assert r.returncode == 1 and "The answer is not valid" in r.stderr, r.stderr


def test_json_and_json_schema_exclude_each_other(json_model: list[str], tmp_path: Path) -> None:
    r = visiondesk("ask", *json_model, "--json", "--json-schema", str(tmp_path / "x.json"), "hi")
    assert r.returncode == 2 and "not allowed with" in r.stderr
