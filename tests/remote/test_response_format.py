"""The remote backend passes a ``response_format`` on (``to_openai``) and validates what comes back.

The IMITATION server (tests/remote/imitation_server.py) stands for a server that ignores the schema and
answers anything, which a real server will not do on demand; llama-server (real) enforces it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from visiondesk.engine import AnswerInvalid, Message, ResponseFormat, SamplingParams, StopReason
from visiondesk.engine.remote import ServerStore

from tests.remote.conftest import LlamaServer, run
from tests.remote.imitation_server import Imitation, ImitationServer, stream
from tests.remote.test_llama_server import connect as connect_llama_server
from tests.remote.test_server_faults import MLLAMA, ask, connect

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"kind": {"enum": ["food", "fuel", "other"]}, "paid": {"type": "boolean"},
                   "code": {"type": "string", "maxLength": 4}},
    "required": ["kind", "paid", "code"],
}
FORMAT = ResponseFormat.json_schema(SCHEMA, "receipt")


@pytest.fixture
def vllm() -> Iterator[ImitationServer]:
    """An imitation of vLLM that answers whatever its script says, schema or not."""
    with ImitationServer(Imitation("vllm", {MLLAMA: {"root": MLLAMA, "max_model_len": 8192}})) as s:
        yield s


def test_response_format_is_sent_as_openai_json_schema(servers: ServerStore, vllm: ImitationServer) -> None:
    backend = connect(servers, vllm.url, MLLAMA)
    vllm.imitation.script = [stream(['{"kind": "food",', ' "paid": true,', ' "code": "A1"}'])]
    text, fin, _ = run(backend, ask(), SamplingParams(max_tokens=50, response_format=FORMAT))
    sent = vllm.imitation.requests[-1]["response_format"]
    assert sent == {"type": "json_schema", "json_schema": {"name": "receipt", "schema": SCHEMA, "strict": True}}
    assert fin.error is None and fin.stop_reason is StopReason.END
    jsonschema.validate(json.loads(text), SCHEMA)


def test_response_format_json_object_is_sent_and_a_non_object_refused(servers: ServerStore,
                                                                     vllm: ImitationServer) -> None:
    backend = connect(servers, vllm.url, MLLAMA)
    vllm.imitation.script = [stream(["[1, 2]"])]
    _, fin, _ = run(backend, ask(), SamplingParams(max_tokens=50, response_format=ResponseFormat.json_object()))
    assert vllm.imitation.requests[-1]["response_format"] == {"type": "json_object"}
    assert fin.stop_reason is StopReason.ERROR and isinstance(fin.error, AnswerInvalid)
    assert "object" in str(fin.error)


def test_response_format_ignored_by_the_server_is_an_answer_invalid(servers: ServerStore,
                                                                   vllm: ImitationServer) -> None:
    backend = connect(servers, vllm.url, MLLAMA)
    vllm.imitation.script = [stream(['{"kind": "toys",', ' "paid": true, "code": "A1"}'])]
    text, fin, _ = run(backend, ask(), SamplingParams(max_tokens=50, response_format=FORMAT))
    assert text.startswith('{"kind": "toys"'), "the text is still shown"
    assert isinstance(fin.error, AnswerInvalid) and "'toys' is not one of" in str(fin.error)
    assert "/kind" in str(fin.error)


def test_response_format_answer_cut_at_max_tokens_says_so(servers: ServerStore, vllm: ImitationServer) -> None:
    backend = connect(servers, vllm.url, MLLAMA)
    vllm.imitation.script = [stream(['{"kind": "fo'], finish="length")]
    _, fin, _ = run(backend, ask(), SamplingParams(max_tokens=3, response_format=FORMAT))
    assert isinstance(fin.error, AnswerInvalid) and "max_tokens" in str(fin.error)


def test_without_response_format_nothing_is_sent_or_checked(servers: ServerStore, vllm: ImitationServer) -> None:
    backend = connect(servers, vllm.url, MLLAMA)
    text, fin, _ = run(backend, ask(), SamplingParams(max_tokens=50))
    assert "response_format" not in vllm.imitation.requests[-1]
    assert fin.error is None and text == "Hello there."


def test_response_format_through_a_real_llama_server(servers: ServerStore, llama_server: LlamaServer,
                                                     pictures: dict[str, Path]) -> None:
    """llama-server turns the schema into its own grammar: random weights still answer valid JSON."""
    backend = connect_llama_server(servers, llama_server)
    answers = set()
    for seed in range(3):
        text, fin, _ = run(backend, [Message.user("Read it.", pictures["photo"])],
                           SamplingParams(temperature=1.0, seed=seed, max_tokens=200, response_format=FORMAT))
        assert fin.error is None and fin.stop_reason is StopReason.END, (fin, text)
        jsonschema.validate(json.loads(text), SCHEMA)
        answers.add(text)
    assert len(answers) >= 2
