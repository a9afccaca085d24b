"""The JSON OpenAI clients expect: completions, stream chunks, usage, models; built from engine events."""

from __future__ import annotations

import time
import uuid
from typing import Any

from visiondesk.engine import BackendInfo, Finished, StopReason

FINISH_REASONS: dict[StopReason, str] = {StopReason.END: "stop", StopReason.STOP_STRING: "stop",
                                          StopReason.LENGTH: "length"}


def finish_reason(final: Finished) -> str:
    """OpenAI's ``finish_reason`` for how the engine ended."""
    return FINISH_REASONS.get(final.stop_reason, str(final.stop_reason))


def completion_id() -> str:
    """A fresh ``chatcmpl-`` id."""
    return f"chatcmpl-{uuid.uuid4().hex[:24]}"


def usage(final: Finished, queued_ms: float) -> dict[str, Any]:
    """OpenAI's usage, plus what the engine reused and how fast it was under ``x_visiondesk``.

    ``cached_tokens`` is the part of the prompt the engine already held from the previous request.
    """
    u, t = final.usage, final.timings
    return {
        "prompt_tokens": u.prompt_tokens,
        "completion_tokens": u.completion_tokens,
        "total_tokens": u.prompt_tokens + u.completion_tokens,
        "prompt_tokens_details": {"cached_tokens": max(0, u.prompt_tokens - u.prompt_tokens_evaluated)},
        "x_visiondesk": {
            "prompt_tokens_evaluated": u.prompt_tokens_evaluated,
            "images_encoded": u.images_encoded,
            "images_reused": u.images_reused,
            "queued_ms": round(queued_ms, 2),
            "ttft_ms": round(t.ttft_ms, 2),
            "encode_ms": round(t.encode_ms, 2),
            "projector_load_ms": round(t.projector_load_ms, 2),
            "prompt_tok_s": round(t.prompt_tok_s, 2),
            "decode_tok_s": round(t.decode_tok_s, 2),
        },
    }


def completion(cid: str, model: str, text: str, final: Finished, queued_ms: float) -> dict[str, Any]:
    """A whole ``chat.completion``."""
    return {
        "id": cid, "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None},
                     "logprobs": None, "finish_reason": finish_reason(final)}],
        "usage": usage(final, queued_ms),
    }


def chunk(cid: str, created: int, model: str, delta: dict[str, Any], reason: str | None,
          include_usage: bool) -> dict[str, Any]:
    """One ``chat.completion.chunk`` with one choice; ``usage`` is null in all but the last when asked for."""
    body: dict[str, Any] = {
        "id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": reason}],
    }
    if include_usage:
        body["usage"] = None
    return body


def usage_chunk(cid: str, created: int, model: str, final: Finished, queued_ms: float) -> dict[str, Any]:
    """The last chunk with ``stream_options.include_usage``: no choices, the usage."""
    return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model, "choices": [],
            "usage": usage(final, queued_ms)}


def model_entry(info: BackendInfo, created: int) -> dict[str, Any]:
    """The loaded model as ``/v1/models`` lists it, with whether it sees images."""
    return {"id": info.model_name, "object": "model", "created": created, "owned_by": "visiondesk",
            "vision": bool(info.vision), "context_length": info.n_ctx, "runs_on": info.runs_on}
