"""Reads the body of ``POST /v1/chat/completions`` into the engine's vocabulary, or refuses it with a 400.

Every field is checked for its type and range by hand, so each refusal names the field and says what
to send. Fields OpenAI defines that VisionDesk cannot honour (tools, logprobs, several choices...) are
refused rather than ignored; unknown fields are refused as OpenAI does.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from visiondesk.engine import BackendInfo, ImageSource, Message, SamplingParams
from visiondesk.engine.errors import UnsupportedSchema
from visiondesk.engine.pdf_pages import MAX_PAGES
from visiondesk.engine.requests import Role
from visiondesk.engine.structured import ResponseFormat, from_openai

from .config import Limits
from .errors import bad_request
from .image_parts import document_pages, image_source

_ROLES: dict[str, Role] = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
_MESSAGE_KEYS = {"role", "content", "name", "refusal", "tool_calls", "function_call", "tool_call_id", "audio"}
_IGNORED = {"model", "user", "metadata", "store", "service_tier", "parallel_tool_calls", "prompt_cache_key",
            "safety_identifier"}
_UNSUPPORTED = {"tools", "tool_choice", "functions", "function_call", "logit_bias", "audio", "modalities",
                "prediction", "web_search_options", "reasoning_effort", "verbosity"}
_HANDLED = {"messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "temperature", "top_p",
            "seed", "stop", "n", "response_format", "frequency_penalty", "presence_penalty", "logprobs",
            "top_logprobs", "top_k", "min_p", "repeat_penalty"}
# libmtmd's media marker: the local engine splits the prompt on it, so in text it would stand for an image
# that is not there (the engine then fails instead of refusing).
RESERVED_MARKER = "<__media__>"
MAX_SEED = 2**32 - 2  # 2**32 - 1 is llama.cpp's "random"


@dataclasses.dataclass(frozen=True)
class ChatRequest:
    """A checked chat completion request."""

    messages: tuple[Message, ...]
    sampling: SamplingParams
    stream: bool = False
    include_usage: bool = False
    image_count: int = 0


def parse_json(body: bytes) -> dict[str, Any]:
    """The body as a JSON object, or a 400 that says where it broke."""
    if not body.strip():
        raise bad_request("The request body is empty: send the request as a JSON object.", code="invalid_json")
    try:
        value = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise bad_request("The request body is not UTF-8 text.", code="invalid_json") from None
    except json.JSONDecodeError as exc:
        raise bad_request(f"The request body is not valid JSON: {exc.msg} at line {exc.lineno}, column "
                          f"{exc.colno}.", code="invalid_json") from None
    except RecursionError:
        raise bad_request("The request body nests JSON too deeply.", code="invalid_json") from None
    except ValueError as exc:  # an integer of more than 4300 digits
        raise bad_request(f"The request body is not usable JSON: {str(exc).split(':')[0]}.",
                          code="invalid_json") from None
    if not isinstance(value, dict):
        raise bad_request(f"The request body must be a JSON object, not {_kind(value)}.", code="invalid_json")
    return value


def parse_chat_request(body: Mapping[str, Any], info: BackendInfo, limits: Limits,
                       allow_file_dir: Path | None) -> ChatRequest:
    """Check ``body`` against the loaded model and the limits; raises ``ApiError``."""
    for key in body:
        if key in _UNSUPPORTED and body[key] not in (None, [], {}):
            raise bad_request(f"'{key}' is not supported by this server.", code="unsupported_parameter", param=key)
        if key not in _HANDLED | _IGNORED | _UNSUPPORTED:
            raise bad_request(f"Unrecognized request argument supplied: {key}.", code="unknown_parameter",
                              param=key)
    _optional(body, "model", str)
    _optional(body, "user", str)
    messages, images = _messages(body, limits, allow_file_dir)
    if body.get("n") not in (None, 1):
        _optional(body, "n", int)
        raise bad_request("Only n=1 is supported: one answer per request.", code="unsupported_parameter",
                          param="n")
    response_format = _response_format(body.get("response_format"))
    for key in ("frequency_penalty", "presence_penalty"):
        if _number(body, key, -2.0, 2.0) not in (None, 0.0):
            raise bad_request(f"'{key}' is not supported; leave it out or set it to 0 (repeat_penalty is "
                              "available instead).", code="unsupported_parameter", param=key)
    if _optional(body, "logprobs", bool):
        raise bad_request("'logprobs' is not supported by this server.", code="unsupported_parameter",
                          param="logprobs")
    if body.get("top_logprobs") is not None:
        raise bad_request("'top_logprobs' is not supported by this server.", code="unsupported_parameter",
                          param="top_logprobs")
    stream = bool(_optional(body, "stream", bool))
    include_usage = _stream_options(body.get("stream_options"), stream)
    return ChatRequest(messages=messages, sampling=_sampling(body, info, limits, response_format), stream=stream,
                       include_usage=include_usage, image_count=images)


def _sampling(body: Mapping[str, Any], info: BackendInfo, limits: Limits,
              response_format: ResponseFormat | None) -> SamplingParams:
    defaults = SamplingParams()
    newer, older = _integer(body, "max_completion_tokens", 1), _integer(body, "max_tokens", 1)
    max_tokens = newer if newer is not None else older
    limit = info.n_ctx or defaults.max_tokens
    if max_tokens is not None and info.n_ctx and max_tokens > info.n_ctx:
        name = "max_completion_tokens" if body.get("max_completion_tokens") is not None else "max_tokens"
        raise bad_request(f"'{name}' is {max_tokens}, more than the model's whole context ({info.n_ctx} "
                          "tokens). Ask for fewer tokens.", code="context_length_exceeded", param=name)
    seed = _integer(body, "seed", 0, MAX_SEED)
    temperature = _number(body, "temperature", 0.0, 2.0)
    top_p = _number(body, "top_p", 0.0, 1.0)
    if top_p == 0.0:
        raise bad_request("'top_p' must be more than 0 (and at most 1).", code="invalid_value", param="top_p")
    top_k = _integer(body, "top_k", 0, 100_000)
    min_p = _number(body, "min_p", 0.0, 1.0)
    repeat_penalty = _number(body, "repeat_penalty", 0.0, 10.0)
    return SamplingParams(
        temperature=defaults.temperature if temperature is None else temperature,
        top_p=defaults.top_p if top_p is None else top_p,
        top_k=defaults.top_k if top_k is None else top_k,
        min_p=defaults.min_p if min_p is None else min_p,
        repeat_penalty=defaults.repeat_penalty if repeat_penalty is None else repeat_penalty,
        seed=defaults.seed if seed is None else seed,
        max_tokens=limit if max_tokens is None else max_tokens,
        stop=_stop(body.get("stop"), limits),
        response_format=response_format)


def _messages(body: Mapping[str, Any], limits: Limits, allow_file_dir: Path | None) -> tuple[tuple[Message, ...], int]:
    raw = body.get("messages")
    if raw is None:
        raise bad_request("'messages' is missing: send the conversation as a list of {role, content}.",
                          code="missing_required_parameter", param="messages")
    if not isinstance(raw, list):
        raise bad_request(f"'messages' must be a list, not {_kind(raw)}.", code="invalid_type", param="messages")
    if not raw:
        raise bad_request("'messages' is empty: send at least one user message.", code="invalid_value",
                          param="messages")
    if len(raw) > limits.max_messages:
        raise bad_request(f"'messages' has {len(raw)} messages; the limit is {limits.max_messages}. Drop the "
                          "oldest turns.", code="too_many_messages", param="messages")
    images = 0
    out: list[Message] = []
    for i, item in enumerate(raw):
        where = f"messages[{i}]"
        message = _message(item, where, images, limits, allow_file_dir)
        images += len(message.images)
        out.append(message)
    if out[-1].role != "user":
        raise bad_request(f"The last message is the {out[-1].role}'s; the conversation must end with a user "
                          "message for the model to answer.", code="invalid_value", param="messages")
    return tuple(out), images


def _message(item: object, where: str, images_before: int, limits: Limits,
             allow_file_dir: Path | None) -> Message:
    if not isinstance(item, dict):
        raise bad_request(f"{where} must be an object with 'role' and 'content', not {_kind(item)}.",
                          code="invalid_type", param=where)
    unknown = sorted(set(item) - _MESSAGE_KEYS)
    if unknown:
        raise bad_request(f"{where} has an unknown field '{unknown[0]}'.", code="unknown_parameter",
                          param=f"{where}.{unknown[0]}")
    role = item.get("role")
    if not isinstance(role, str):
        raise bad_request(f"{where}.role is missing or not a string; use system, user or assistant.",
                          code="invalid_value", param=f"{where}.role")
    if role in ("tool", "function") or item.get("tool_calls") or item.get("function_call"):
        raise bad_request(f"{where}: tool calls and tool messages are not supported by this server.",
                          code="unsupported_parameter", param=f"{where}.role")
    if role not in _ROLES:
        raise bad_request(f"{where}.role '{role[:40]}' is not a role; use system, user or assistant.",
                          code="invalid_value", param=f"{where}.role")
    if item.get("audio") is not None:
        raise bad_request(f"{where}: audio is not supported.", code="unsupported_parameter", param=where)
    _optional(item, "name", str, where)
    content = item.get("content")
    if content is None and role == "assistant" and "content" in item:
        return Message("assistant", "")
    if isinstance(content, str):
        return Message(_ROLES[role], _text(content, f"{where}.content"))
    if not isinstance(content, list):
        what = "missing" if content is None else f"{_kind(content)}, not a string or a list of parts"
        raise bad_request(f"{where}.content is {what}.", code="invalid_type", param=f"{where}.content")
    texts: list[str] = []
    sources: list[ImageSource] = []
    for j, part in enumerate(content):
        at = f"{where}.content[{j}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            text = part.get("text")
            if not isinstance(text, str):
                raise bad_request(f"{at}.text must be a string.", code="invalid_type", param=f"{at}.text")
            texts.append(_text(text, f"{at}.text"))
        elif kind == "image_url":
            if role != "user":
                raise bad_request(f"{at}: only user messages may carry images.", code="invalid_value", param=at)
            if images_before + len(sources) >= limits.max_images:
                raise bad_request(f"The request has more than {limits.max_images} images; send at most "
                                  f"{limits.max_images}.", code="too_many_images", param=at)
            sources.append(image_source(_image_url(part, at), f"#{images_before + len(sources) + 1} at {at}",
                                        allow_file_dir=allow_file_dir, max_pixels=limits.max_image_pixels,
                                        max_file_bytes=limits.max_body_bytes))
        elif kind == "file":
            if role != "user":
                raise bad_request(f"{at}: only user messages may carry files.", code="invalid_value", param=at)
            file_data, filename = _file(part, at)
            room = limits.max_images - images_before - len(sources)
            if room <= 0:
                raise bad_request(f"The request has more than {limits.max_images} images; send at most "
                                  f"{limits.max_images}.", code="too_many_images", param=at)
            sources += document_pages(file_data, filename, f"#{images_before + len(sources) + 1} at {at}",
                                      min(room, MAX_PAGES))
        else:
            shown = "not an object" if not isinstance(part, dict) else f"of type {str(kind)[:40]!r}"
            raise bad_request(f"{at} is {shown}; parts are {{'type': 'text', 'text': ...}}, "
                              "{'type': 'image_url', 'image_url': {'url': 'data:image/...;base64,...'}} or "
                              "{'type': 'file', 'file': {'file_data': 'data:application/pdf;base64,...'}}.",
                              code="invalid_value", param=at)
    return Message(_ROLES[role], "\n".join(texts), tuple(sources))


def _text(text: str, where: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (\ud800) is valid JSON but not text
        raise bad_request(f"{where} is not valid Unicode text (it holds a lone surrogate).", code="invalid_text",
                          param=where) from None
    if RESERVED_MARKER in text:
        raise bad_request(f"{where} contains {RESERVED_MARKER}, which marks where images go; remove it from the "
                          "text.", code="invalid_text", param=where)
    return text


def _file(part: Mapping[str, Any], at: str) -> tuple[str, str]:
    """(file_data, filename) of a ``file`` part; only PDFs sent inline are read (no uploaded file ids)."""
    value = part.get("file")
    if not isinstance(value, dict):
        raise bad_request(f"{at}.file must be {{'file_data': 'data:application/pdf;base64,...', 'filename': ...}}.",
                          code="invalid_type", param=f"{at}.file")
    data = value.get("file_data")
    if not isinstance(data, str):
        why = "uploaded files (file_id) are not kept by this server" if value.get("file_id") else "file_data is missing"
        raise bad_request(f"{at}.file: {why}; send the PDF itself as file_data: data:application/pdf;base64,...",
                          code="invalid_file", param=f"{at}.file")
    filename = value.get("filename")
    return data, filename if isinstance(filename, str) else ""


def _image_url(part: Mapping[str, Any], at: str) -> str:
    value = part.get("image_url")
    if isinstance(value, dict):
        detail = value.get("detail")
        if detail not in (None, "auto", "low", "high"):
            raise bad_request(f"{at}.image_url.detail must be auto, low or high.", code="invalid_value",
                              param=f"{at}.image_url.detail")
        value = value.get("url")
    if not isinstance(value, str) or not value:
        raise bad_request(f"{at}.image_url must be {{'url': 'data:image/png;base64,...'}} or that string.",
                          code="invalid_type", param=f"{at}.image_url")
    return value


def _response_format(value: object) -> ResponseFormat | None:
    """The answer's format; a schema the grammar cannot enforce is a 400 naming the construct."""
    if value is None:
        return None
    kind = value.get("type") if isinstance(value, dict) else None
    if not isinstance(value, dict) or kind not in ("text", "json_object", "json_schema"):
        raise bad_request("response_format must be {'type': 'text'}, {'type': 'json_object'} or {'type': "
                          "'json_schema', 'json_schema': {'name': ..., 'schema': {...}, 'strict': true}}.",
                          code="invalid_value", param="response_format")
    if kind == "json_schema":
        spec = value.get("json_schema")
        if not isinstance(spec, dict):
            raise bad_request("response_format.json_schema must be an object: {'name': ..., 'schema': {...}}.",
                              code="invalid_type", param="response_format.json_schema")
        _optional(spec, "name", str, "response_format.json_schema")
        _optional(spec, "strict", bool, "response_format.json_schema")  # always enforced here
        _optional(spec, "description", str, "response_format.json_schema")
        if not isinstance(spec.get("schema"), dict):
            raise bad_request("response_format.json_schema.schema is missing or not an object: send the JSON "
                              "Schema the answer must follow.", code="missing_required_parameter",
                              param="response_format.json_schema.schema")
    try:
        return from_openai(value)
    except UnsupportedSchema as exc:
        raise bad_request(str(exc), code="unsupported_schema", param="response_format.json_schema.schema") from None


def _stream_options(value: object, stream: bool) -> bool:
    if value is None:
        return False
    if not isinstance(value, dict):
        raise bad_request("stream_options must be an object such as {'include_usage': true}.",
                          code="invalid_type", param="stream_options")
    if not stream:
        raise bad_request("stream_options is only allowed with stream: true.", code="invalid_value",
                          param="stream_options")
    return bool(_optional(value, "include_usage", bool, "stream_options"))


def _stop(value: object, limits: Limits) -> tuple[str, ...]:
    stops = [value] if isinstance(value, str) else value
    if stops is None:
        return ()
    if not isinstance(stops, list) or not all(isinstance(s, str) and s for s in stops):
        raise bad_request("'stop' must be a non-empty string or a list of non-empty strings.", code="invalid_type",
                          param="stop")
    for stop in stops:
        _text(stop, "stop")
    if len(stops) > limits.max_stop_strings:
        raise bad_request(f"'stop' has {len(stops)} strings; at most {limits.max_stop_strings} are allowed.",
                          code="invalid_value", param="stop")
    return tuple(stops)


def _optional(obj: Mapping[str, Any], key: str, kind: type, where: str = "") -> Any:
    value = obj.get(key)
    if value is not None and (not isinstance(value, kind) or (kind is not bool and isinstance(value, bool))):
        name = f"{where}.{key}" if where else key
        raise bad_request(f"'{name}' must be {_KIND_NAMES[kind]}, not {_kind(value)}.", code="invalid_type",
                          param=name)
    return value


def _integer(obj: Mapping[str, Any], key: str, low: int, high: int = 2**31 - 1) -> int | None:
    value: int | None = _optional(obj, key, int)
    if value is not None and not low <= value <= high:
        raise bad_request(f"'{key}' is {value}; it must be between {low} and {high}.", code="invalid_value",
                          param=key)
    return value


def _number(obj: Mapping[str, Any], key: str, low: float, high: float) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"'{key}' must be a number, not {_kind(value)}.", code="invalid_type", param=key)
    if not math.isfinite(value) or not low <= value <= high:
        raise bad_request(f"'{key}' is {value}; it must be between {low:g} and {high:g}.", code="invalid_value",
                          param=key)
    return float(value)


_KIND_NAMES: dict[type, str] = {str: "a string", int: "an integer", bool: "true or false", list: "a list",
                                dict: "an object"}


def _kind(value: object) -> str:
    names: dict[type, str] = {**_KIND_NAMES, float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)
