"""A conversation as an OpenAI chat-completions request: messages with data-URL images, and sampling.

Only the text and the pixels leave this computer: never an image's file name or path, never a URL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..requests import Message, SamplingParams
from ..structured import to_openai
from .probe import ServerKind
from .upload_images import UploadImage

RANDOM_SEED = 0xFFFFFFFF  # SamplingParams' "pick a random seed": the server's default does that
EARLIER_IMAGE = "[an earlier image, not sent again]"


def image_positions(messages: Sequence[Message]) -> list[tuple[int, int]]:
    """(message index, image index) of every image in the conversation, oldest first."""
    return [(i, j) for i, m in enumerate(messages) for j in range(len(m.images))]


def chat_messages(messages: Sequence[Message], images: dict[tuple[int, int], UploadImage]) -> list[dict[str, Any]]:
    """The ``messages`` array; ``images`` holds the encoded images to send, by position (others are left out).

    A user message with images is a list of parts, images first (as the local templates place them), then
    the text; a left-out image becomes a short text marker so the model knows one was there.
    """
    out: list[dict[str, Any]] = []
    for i, m in enumerate(messages):
        if not m.images:
            out.append({"role": m.role, "content": m.text})
            continue
        parts: list[dict[str, Any]] = []
        for j in range(len(m.images)):
            up = images.get((i, j))
            if up is None:
                parts.append({"type": "text", "text": EARLIER_IMAGE})
            else:
                parts.append({"type": "image_url", "image_url": {"url": up.data_url}})
        if m.text:
            parts.append({"type": "text", "text": m.text})
        out.append({"role": m.role, "content": parts})
    return out


def sampling_kwargs(sampling: SamplingParams, kind: ServerKind | None) -> dict[str, Any]:
    """OpenAI's sampling fields, and the server's own names for the rest where it is known to take them."""
    kwargs: dict[str, Any] = {"temperature": sampling.temperature, "top_p": sampling.top_p,
                              "max_tokens": sampling.max_tokens, "stream_options": {"include_usage": True}}
    if sampling.seed != RANDOM_SEED:
        kwargs["seed"] = sampling.seed
    if sampling.stop:
        kwargs["stop"] = list(sampling.stop)
    if sampling.response_format is not None:  # the server constrains it if it can; the backend checks the answer
        kwargs["response_format"] = to_openai(sampling.response_format)
    extra: dict[str, Any] = {}
    if kind in (ServerKind.LLAMA_SERVER, ServerKind.LM_STUDIO, ServerKind.VISIONDESK):
        extra = {"top_k": sampling.top_k, "min_p": sampling.min_p, "repeat_penalty": sampling.repeat_penalty}
        if kind is ServerKind.LLAMA_SERVER:
            extra["repeat_last_n"] = sampling.repeat_last_n
    elif kind is ServerKind.VLLM:
        extra = {"top_k": sampling.top_k, "min_p": sampling.min_p, "repetition_penalty": sampling.repeat_penalty}
    if extra:
        kwargs["extra_body"] = extra
    return kwargs
