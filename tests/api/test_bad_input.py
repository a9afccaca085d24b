"""Bad input, table-driven: each case is a 4xx with an OpenAI error object, and the server still answers."""

from __future__ import annotations

import base64
import http.client
import json
import struct
import zlib
from typing import Any

import pytest

from tests.api.conftest import data_url, image_part, png_bytes
from tests.api.server_thread import ServerThread

USER = {"role": "user", "content": "Hi"}


def body(**fields: Any) -> bytes:
    """A valid request with ``fields`` replaced (a value of ``...`` removes the field)."""
    base: dict[str, Any] = {"model": "tiny-chat", "messages": [USER], "max_tokens": 2}
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not ...}).encode()


def msgs(*messages: Any) -> bytes:
    return body(messages=list(messages))


def with_image(url: Any) -> bytes:
    return msgs({"role": "user", "content": [{"type": "text", "text": "What?"}, {"type": "image_url",
                                                                              "image_url": url}]})


def png_header(width: int, height: int) -> bytes:
    """A PNG that is only a signature and a header claiming ``width`` x ``height`` pixels (a bomb's first bytes)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
            + struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND")))


RED = data_url(png_bytes((220, 30, 30)))
B64 = "data:image/png;base64,"

CASES: list[tuple[str, bytes, int, str]] = [
    # malformed JSON
    ("empty body", b"", 400, "invalid_json"),
    ("truncated object", b'{"messages": [', 400, "invalid_json"),
    ("not json", b"hello there", 400, "invalid_json"),
    ("broken list", b'{"messages": [}', 400, "invalid_json"),
    ("not utf-8", b'\xff\xfe{"messages": []}', 400, "invalid_json"),
    ("nested 100k deep", b"[" * 100_000, 400, "invalid_json"),
    ("top-level list", b"[]", 400, "invalid_json"),
    ("top-level string", b'"hi"', 400, "invalid_json"),
    ("top-level null", b"null", 400, "invalid_json"),
    ("5000-digit number", body(max_tokens=1).replace(b'"max_tokens": 1', b'"max_tokens": ' + b"9" * 5000), 400,
     "invalid_json"),
    ("lone surrogate", msgs({"role": "user", "content": "bad \ud800 text"}), 400, "invalid_text"),
    ("lone surrogate in a part", msgs({"role": "user", "content": [{"type": "text", "text": "\udfff"}]}), 400,
     "invalid_text"),
    ("image marker in text", msgs({"role": "user", "content": "look <__media__> here"}), 400, "invalid_text"),
    ("lone surrogate stop", body(stop="\ud800"), 400, "invalid_text"),
    ("infinite temperature", body(temperature=0).replace(b'"temperature": 0', b'"temperature": 1e999'), 400,
     "invalid_value"),
    ("NaN temperature", body(temperature=0).replace(b'"temperature": 0', b'"temperature": NaN'), 400,
     "invalid_value"),
    # missing fields and wrong types
    ("no messages", body(messages=...), 400, "missing_required_parameter"),
    ("messages a string", body(messages="hi"), 400, "invalid_type"),
    ("messages empty", body(messages=[]), 400, "invalid_value"),
    ("message null", msgs(None), 400, "invalid_type"),
    ("message a string", msgs("hello"), 400, "invalid_type"),
    ("no role", msgs({"content": "hi"}), 400, "invalid_value"),
    ("role a number", msgs({"role": 5, "content": "hi"}), 400, "invalid_value"),
    ("unknown role", msgs({"role": "robot", "content": "hi"}), 400, "invalid_value"),
    ("tool role", msgs(USER, {"role": "tool", "content": "42", "tool_call_id": "a"}), 400, "unsupported_parameter"),
    ("function role", msgs({"role": "function", "content": "42"}), 400, "unsupported_parameter"),
    ("no content", msgs({"role": "user"}), 400, "invalid_type"),
    ("content a number", msgs({"role": "user", "content": 42}), 400, "invalid_type"),
    ("content an object", msgs({"role": "user", "content": {"text": "hi"}}), 400, "invalid_type"),
    ("part a string", msgs({"role": "user", "content": ["hi"]}), 400, "invalid_value"),
    ("part of unknown type", msgs({"role": "user", "content": [{"type": "audio", "audio": "x"}]}), 400,
     "invalid_value"),
    ("text part not a string", msgs({"role": "user", "content": [{"type": "text", "text": 5}]}), 400,
     "invalid_type"),
    ("ends with the assistant", msgs(USER, {"role": "assistant", "content": "Hello"}), 400, "invalid_value"),
    ("unknown message field", msgs({"role": "user", "content": "hi", "images": ["abc"]}), 400,
     "unknown_parameter"),
    ("tool calls", msgs({"role": "assistant", "content": None, "tool_calls": [{"id": "1"}]}, USER), 400,
     "unsupported_parameter"),
    ("image from the assistant", msgs({"role": "assistant", "content": [image_part(RED)]}, USER), 400,
     "invalid_value"),
    ("name not a string", msgs({"role": "user", "content": "hi", "name": 7}), 400, "invalid_type"),
    ("model a number", body(model=5), 400, "invalid_type"),
    ("unknown field", body(foo=1), 400, "unknown_parameter"),
    # sampling
    ("negative max_tokens", body(max_tokens=-1), 400, "invalid_value"),
    ("zero max_tokens", body(max_tokens=0), 400, "invalid_value"),
    ("max_tokens a string", body(max_tokens="10"), 400, "invalid_type"),
    ("max_tokens a float", body(max_tokens=1.5), 400, "invalid_type"),
    ("max_tokens a boolean", body(max_tokens=True), 400, "invalid_type"),
    ("max_tokens past the context", body(max_tokens=100_000), 400, "context_length_exceeded"),
    ("negative max_completion_tokens", body(max_completion_tokens=-5), 400, "invalid_value"),
    ("temperature a string", body(temperature="hot"), 400, "invalid_type"),
    ("negative temperature", body(temperature=-1), 400, "invalid_value"),
    ("temperature 5", body(temperature=5), 400, "invalid_value"),
    ("top_p 0", body(top_p=0), 400, "invalid_value"),
    ("top_p 1.5", body(top_p=1.5), 400, "invalid_value"),
    ("seed a string", body(seed="abc"), 400, "invalid_type"),
    ("negative seed", body(seed=-1), 400, "invalid_value"),
    ("seed past 32 bits", body(seed=2**40), 400, "invalid_value"),
    ("stop a number", body(stop=5), 400, "invalid_type"),
    ("five stop strings", body(stop=["a", "b", "c", "d", "e"]), 400, "invalid_value"),
    ("empty stop string", body(stop=[""]), 400, "invalid_type"),
    ("n 2", body(n=2), 400, "unsupported_parameter"),
    ("n a string", body(n="2"), 400, "invalid_type"),
    ("stream a string", body(stream="yes"), 400, "invalid_type"),
    ("stream_options without stream", body(stream_options={"include_usage": True}), 400, "invalid_value"),
    ("stream_options a number", body(stream=True, stream_options=5), 400, "invalid_type"),
    ("include_usage a string", body(stream=True, stream_options={"include_usage": "yes"}), 400, "invalid_type"),
    ("response_format json_schema without a schema", body(response_format={"type": "json_schema",
                                                                         "json_schema": {"name": "x"}}),
     400, "missing_required_parameter"),
    ("response_format json_schema a string", body(response_format={"type": "json_schema", "json_schema": "x"}),
     400, "invalid_type"),
    ("response_format strict a string", body(response_format={"type": "json_schema", "json_schema": {
        "name": "x", "strict": "yes", "schema": {"type": "object"}}}), 400, "invalid_type"),
    ("response_format schema with minimum", body(response_format={"type": "json_schema", "json_schema": {
        "name": "x", "schema": {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}}}}}),
     400, "unsupported_schema"),
    ("response_format schema with oneOf", body(response_format={"type": "json_schema", "json_schema": {
        "name": "x", "schema": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}}), 400, "unsupported_schema"),
    ("response_format invalid schema", body(response_format={"type": "json_schema", "json_schema": {
        "name": "x", "schema": {"type": "object", "required": "n"}}}), 400, "unsupported_schema"),
    ("unknown response_format", body(response_format={"type": "xml"}), 400, "invalid_value"),
    ("response_format a string", body(response_format="json"), 400, "invalid_value"),
    ("tools", body(tools=[{"type": "function", "function": {"name": "f"}}]), 400, "unsupported_parameter"),
    ("logprobs", body(logprobs=True), 400, "unsupported_parameter"),
    ("frequency_penalty", body(frequency_penalty=1), 400, "unsupported_parameter"),
    # images
    ("remote http image", with_image({"url": "http://example.com/cat.png"}), 400, "remote_image_url"),
    ("remote https image", with_image({"url": "https://example.com/cat.png"}), 400, "remote_image_url"),
    ("ftp image", with_image("ftp://example.com/cat.png"), 400, "remote_image_url"),
    ("javascript url", with_image({"url": "javascript:alert(1)"}), 400, "invalid_image_url"),
    ("bad base64", with_image({"url": B64 + "iVBOR@@@@not base64!!"}), 400, "invalid_base64"),
    ("base64 cut short", with_image({"url": B64 + "iVBORw0KG"}), 400, "invalid_base64"),
    ("empty data url", with_image({"url": B64}), 400, "invalid_base64"),
    ("data url not base64", with_image({"url": "data:image/png,abcdef"}), 400, "invalid_image_url"),
    ("data url of text", with_image({"url": "data:text/plain;base64,aGVsbG8="}), 400, "invalid_image_url"),
    ("base64 of text", with_image({"url": B64 + base64.b64encode(b"hello, this is text").decode()}), 400,
     "invalid_image"),
    ("bare garbage", with_image("just some words"), 400, "invalid_image_url"),
    ("truncated png", with_image(data_url(png_bytes((1, 2, 3))[:60])), 400, "invalid_image"),
    ("decompression bomb", with_image(data_url(png_header(100_000, 100_000))), 413, "image_too_large"),
    ("past the pixel limit", with_image(data_url(png_header(3000, 2000))), 413, "image_too_large"),
    ("file path", with_image("/etc/passwd"), 400, "file_path_refused"),
    ("file url", with_image({"url": "file:///etc/hostname"}), 400, "file_path_refused"),
    ("image_url without url", with_image({"detail": "low"}), 400, "invalid_type"),
    ("image_url a number", with_image(5), 400, "invalid_type"),
    ("unknown detail", with_image({"url": RED, "detail": "ultra"}), 400, "invalid_value"),
    ("four images", msgs({"role": "user", "content": [image_part(RED)] * 4}), 400, "too_many_images"),
    # sizes and the engine's own refusals
    ("33 messages", msgs(*[USER] * 33), 400, "too_many_messages"),
    ("3 MiB body", body(messages=[{"role": "user", "content": "x" * (3 * 2**20)}]), 413, "request_too_large"),
    ("longer than the context", msgs({"role": "user", "content": "ab " * 1200}), 400, "context_length_exceeded"),
]


def post(server: ServerThread, payload: bytes, path: str = "/v1/chat/completions",
         method: str = "POST") -> tuple[int, dict[str, Any]]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request(method, path, payload, {"Content-Type": "application/json"})
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    return response.status, json.loads(raw)


def assert_error_object(reply: dict[str, Any], code: str) -> None:
    error = reply["error"]
    assert set(error) == {"message", "type", "code", "param"}
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and 10 < len(error["message"]) < 400
    assert "Traceback" not in error["message"] and error["type"] == "invalid_request_error"


def test_the_table_has_fifty_cases() -> None:
    assert len(CASES) >= 50
    assert len({name for name, *_ in CASES}) == len(CASES)


@pytest.mark.parametrize(("payload", "status", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_a_4xx_with_an_error_object(server: ServerThread, payload: bytes, status: int, code: str) -> None:
    got, reply = post(server, payload)
    assert got == status, reply
    assert_error_object(reply, code)
    ok, answer = post(server, body(max_tokens=1))  # the server still answers
    assert ok == 200 and answer["choices"][0]["finish_reason"] in ("length", "stop")


def test_routes_and_methods_refused_as_error_objects(server: ServerThread) -> None:
    got, reply = post(server, b"", path="/v1/completions")
    assert got == 404 and reply["error"]["code"] == "not_found" and "/v1/chat/completions" in reply["error"]["message"]
    got, reply = post(server, b"", method="GET")
    assert got == 405 and reply["error"]["code"] == "method_not_allowed"


def test_refusals_are_in_the_request_log(server: ServerThread, request_log: Any) -> None:
    post(server, body(max_tokens=-1))
    last = request_log.recent()[-1]
    assert (last.outcome, last.status) == ("invalid_value", 400) and "max_tokens" in last.message
