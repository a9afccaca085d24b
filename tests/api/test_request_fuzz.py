"""Random mutations of a valid request: the parser answers each with a request or a 4xx ``ApiError``, never
anything else (which the server would turn into a 500)."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

from visiondesk.api.chat_request import parse_chat_request, parse_json
from visiondesk.api.config import Limits
from visiondesk.api.errors import ApiError
from visiondesk.engine import BackendInfo

from tests.api.conftest import data_url, png_bytes

INFO = BackendInfo(model_name="m", vision=True, n_ctx=1024, runs_on="CPU")
VALID: dict[str, Any] = {
    "model": "m", "max_tokens": 5, "temperature": 0.5, "top_p": 0.9, "seed": 3, "stop": ["\n"], "stream": True,
    "stream_options": {"include_usage": True}, "n": 1, "response_format": {"type": "text"},
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "What is it?"},
                                     {"type": "image_url", "image_url": {"url": data_url(png_bytes((1, 2, 3)))}}]},
        {"role": "assistant", "content": "A square."},
        {"role": "user", "content": "Sure?"},
    ],
}
ODD_VALUES: list[Any] = [None, True, False, 0, -1, 1.5, float("inf"), 2**70, "", "x", "http://[::1", "http://a/b.png",
                         "file:///etc/passwd", "data:image/png;base64,@@", "data:", "/9j/4AAQ", "C:\\x.png", [], [1],
                         {}, {"type": "text"}, {"url": 5}, "\ud800", "\x00", "tool", "developer", "json_object"]


def odd(rng: random.Random) -> Any:
    return copy.deepcopy(rng.choice(ODD_VALUES))


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out += paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out += paths(child, (*prefix, i))
    return out


def mutate(rng: random.Random, request: dict[str, Any]) -> Any:
    target = rng.choice(paths(request)[1:])
    parent: Any = request
    for step in target[:-1]:
        parent = parent[step]
    action = rng.random()
    if action < 0.6:
        parent[target[-1]] = odd(rng)
    elif action < 0.8 and isinstance(parent, dict):
        del parent[target[-1]]
    elif isinstance(parent, dict):
        parent[rng.choice(["extra", "images", "tool_calls", "audio", "name", "detail"])] = odd(rng)
    else:
        parent.append(odd(rng))
    return request


def test_random_mutations_are_answered_or_refused_with_a_4xx() -> None:
    rng = random.Random(16)
    outcomes = {"accepted": 0, "refused": 0}
    for _ in range(3000):
        request = copy.deepcopy(VALID)
        for _ in range(rng.randint(1, 3)):
            request = mutate(rng, request)
        raw = json.dumps(request).encode()
        try:
            parse_chat_request(parse_json(raw), INFO, Limits(), None)
            outcomes["accepted"] += 1
        except ApiError as exc:
            assert 400 <= exc.status < 500 and exc.message, exc
            outcomes["refused"] += 1
    assert outcomes["accepted"] > 100 and outcomes["refused"] > 1000, outcomes
