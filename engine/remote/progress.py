"""What one streamed answer has brought so far, and the ``Finished`` event it ends with."""

from __future__ import annotations

import dataclasses
import time

from ..errors import VisionDeskError
from ..events import Finished, StopReason, Timings, Usage
from .errors import MalformedChunk, ServerFailed

_FINISH = {"stop": StopReason.END, "length": StopReason.LENGTH, "tool_calls": StopReason.END,
           "function_call": StopReason.END, "content_filter": StopReason.ERROR}


@dataclasses.dataclass
class Progress:
    """Times (``time.monotonic``) and counts of one attempt; ``t0`` is when ``chat`` was called."""

    url: str
    t0: float
    sent_at: float
    encode_ms: float
    n_images: int
    first_chunk: float | None = None
    first_text: float | None = None
    last: float = 0.0
    chars: int = 0
    pieces: int = 0  # text chunks: the token count where the server sends no usage (one token per chunk)
    finish: str | None = None
    usage: object = None

    def read(self, chunk: object, t: float) -> str:
        """Take one chunk that arrived at ``t``; returns its text. ``MalformedChunk`` for what is no chunk."""
        choices = getattr(chunk, "choices", None)
        if not isinstance(choices, list):
            raise MalformedChunk(self.url, "a chunk without 'choices'")
        self.last = t
        if self.first_chunk is None:
            self.first_chunk = t
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            self.usage = usage
        text = ""
        for choice in choices[:1]:
            delta = getattr(choice, "delta", None)
            content = getattr(delta, "content", None) if delta is not None else None
            if content is not None and not isinstance(content, str):
                raise MalformedChunk(self.url, f"'content' is {type(content).__name__}, not text")
            text = content or ""
            self.finish = getattr(choice, "finish_reason", None) or self.finish
        if text:
            if self.first_text is None:
                self.first_text = t
            self.chars += len(text)
            self.pieces += 1
        return text

    def finished(self, reason: StopReason | None = None, error: VisionDeskError | None = None) -> Finished:
        """The final event: ``reason`` (default: the server's finish reason), usage and timings."""
        now = time.monotonic()
        if reason is None:
            reason = _FINISH.get(self.finish or "stop", StopReason.END)
            if reason is StopReason.ERROR and error is None:
                error = ServerFailed(self.url, None, "the server's content filter stopped the answer")
        u = self.usage
        prompt_tokens = getattr(u, "prompt_tokens", 0) or 0
        completion = getattr(u, "completion_tokens", None)
        if completion is None:
            completion = self.pieces
        cached = getattr(getattr(u, "prompt_tokens_details", None), "cached_tokens", 0) or 0
        evaluated = max(0, prompt_tokens - cached)
        prompt_s = (self.first_chunk or now) - self.sent_at
        decode_s = self.last - self.first_text if self.first_text is not None else 0.0
        timings = Timings(
            ttft_ms=((self.first_text or now) - self.t0) * 1000.0, encode_ms=self.encode_ms,
            prompt_ms=prompt_s * 1000.0, decode_ms=decode_s * 1000.0,
            prompt_tok_s=evaluated / prompt_s if evaluated and prompt_s > 0 else 0.0,
            decode_tok_s=(completion - 1) / decode_s if completion > 1 and decode_s > 0 else 0.0)
        usage = Usage(prompt_tokens=prompt_tokens, prompt_tokens_evaluated=evaluated, completion_tokens=completion,
                      images_encoded=self.n_images)
        return Finished(reason, now, usage=usage, timings=timings, error=error, backend="remote")
