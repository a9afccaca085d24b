"""The typed events a chat request streams: stage changes, text, and one final event."""

from __future__ import annotations

import dataclasses
import enum

from .errors import VisionDeskError


class Stage(enum.StrEnum):
    """What the engine is doing right now."""

    LOADING = "loading"
    ENCODING_IMAGE = "encoding_image"
    READING_PROMPT = "reading_prompt"
    GENERATING = "generating"


class StopReason(enum.StrEnum):
    """Why an answer ended."""

    END = "end"  # the model emitted an end-of-generation token
    LENGTH = "length"  # max_tokens reached, or the context is full
    STOP_STRING = "stop_string"
    CANCELLED = "cancelled"
    ERROR = "error"


@dataclasses.dataclass(frozen=True)
class StageChanged:
    """The engine entered ``stage``; for images, ``index`` (1-based) of ``total``."""

    stage: Stage
    t: float
    index: int | None = None
    total: int | None = None


@dataclasses.dataclass(frozen=True)
class TextDelta:
    """Newly generated text: always whole UTF-8 characters."""

    text: str
    t: float


@dataclasses.dataclass(frozen=True)
class Usage:
    """Token counts of one request.

    ``prompt_tokens`` is the whole prompt (images included); ``prompt_tokens_evaluated`` is what had to
    be computed because it was not already in the cache; ``images_encoded`` counts images run
    through the vision encoder, ``images_reused`` those taken from the KV or embedding cache;
    ``images_encoded_ahead``, of those encoded, the ones a parallel job encoded before the request got its
    slot (``Tuning.encode_ahead`` or ``Tuning.read_ahead``).
    """

    prompt_tokens: int = 0
    prompt_tokens_evaluated: int = 0
    completion_tokens: int = 0
    images_encoded: int = 0
    images_reused: int = 0
    images_encoded_ahead: int = 0


@dataclasses.dataclass(frozen=True)
class Timings:
    """Timings of one request, in milliseconds and tokens per second."""

    ttft_ms: float = 0.0
    encode_ms: float = 0.0
    prompt_ms: float = 0.0
    decode_ms: float = 0.0
    prompt_tok_s: float = 0.0
    decode_tok_s: float = 0.0
    projector_load_ms: float = 0.0  # the vision projector was opened for this request (its first image)


@dataclasses.dataclass(frozen=True)
class Finished:
    """The last event of every request."""

    stop_reason: StopReason
    t: float
    usage: Usage = Usage()
    timings: Timings = Timings()
    error: VisionDeskError | None = None
    backend: str = ""
    gpu_layers: int = 0


EngineEvent = StageChanged | TextDelta | Finished
