"""Every message between the engine (parent) and its child process: frozen dataclasses, dispatched with ``match``.

A request from the parent gets exactly one reply (``ChatJob`` gets a stream that ends in ``Done`` or
``ErrorReply``, and may ask for pixels on the way). A message the receiver does not know is a bug:
the child answers it with ``ErrorReply`` (kind ``EngineProtocolError``), the parent treats an
unexpected reply as an error and starts a new child.

Parent -> child: ``LoadRequest`` -> ``Loaded``; ``ChatJob`` -> ``StageReport``/``Text``/``Alive``/``NeedPixels``...
then ``Done``; ``NeedPixels`` -> ``Pixels``; ``MeasureRequest`` -> ``Measured``; ``InfoRequest`` -> ``SystemInfo``;
``ResetRequest`` -> ``Ok``; ``SaveState``/``RestoreState`` -> ``StateKept``; ``Quit``; ``ParallelJob`` -> a
stream of tagged events (``parallel_protocol.py``). Any request may be answered with ``ErrorReply``.

Three messages get no reply, so that the parent never waits for them: ``PrepareImages`` and ``DropPrepared``
(speculative encodes, ``worker/image_prepare.py``), and ``ForgetImages``. The child reports the speculative work
with a ``PrepareState`` notice whenever it changes; the parent keeps the latest one whenever it next reads the pipe.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ...errors import EngineProtocolError, VisionDeskError, rebuild
from ...events import Stage, StopReason, Timings, Usage
from ...requests import ModelSpec, SamplingParams
from ..backend_choice import BackendChoice
from ..disk_cache import DiskCache
from ..image_cache import ImageRef
from ..load_result import LoadResult
from .parallel_protocol import MoreRequests, NeedRequests, ParallelDone, ParallelJob, SlotDone, SlotFailed, SlotText

# ---- parent -> child ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class LoadRequest:
    """Load ``spec``, replacing any loaded model; ``cache``: where embeddings and states persist (None: nowhere)."""

    spec: ModelSpec
    cache: DiskCache | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class ChatJob:
    """One chat request: the rendered prompt (images as media markers) and the images in order.

    Images travel without pixels; the child asks for the pixels of those it must evaluate.
    """

    request_id: int
    prompt: str
    images: tuple[ImageRef, ...]
    sampling: SamplingParams


@dataclasses.dataclass(frozen=True, slots=True)
class Pixels:
    """The answer to ``NeedPixels``: by image index, the file of its prepared pixels, or None.

    The files are raw RGB in the parent's ``PixelCache``; None when the parent could not read an image.
    """

    images: dict[int, str] | None


@dataclasses.dataclass(frozen=True, slots=True)
class MeasureRequest:
    """Tokenize ``prompt`` and its images as a chat would, evaluating nothing (``LocalEngine.plan``)."""

    prompt: str
    images: tuple[ImageRef, ...]
    pixel_files: tuple[str, ...]  # each image's prepared pixels, as ``Pixels`` gives them


@dataclasses.dataclass(frozen=True, slots=True)
class InfoRequest:
    """Describe llama.cpp's build and devices."""


@dataclasses.dataclass(frozen=True, slots=True)
class ResetRequest:
    """Forget the cached conversation."""


@dataclasses.dataclass(frozen=True, slots=True)
class SaveState:
    """Save the active conversation's KV cache as ``conversation``'s state (the user switches away or quits)."""

    conversation: str


@dataclasses.dataclass(frozen=True, slots=True)
class RestoreState:
    """Make ``conversation``'s saved state the active conversation, if one was saved for this model."""

    conversation: str


@dataclasses.dataclass(frozen=True, slots=True)
class Quit:
    """Free the model and exit."""


@dataclasses.dataclass(frozen=True, slots=True)
class PrepareImages:
    """Encode these images into the embedding store ahead of the question that will carry them. No reply.

    With a ``prefix`` (the conversation rendered up to the new question's text, images as markers), the child
    then reads it into the context too, so that the question finds everything before its text evaluated.
    """

    images: tuple[ImageRef, ...]
    pixel_files: tuple[str, ...]  # each image's prepared pixels, as ``Pixels`` gives them
    prefix: str = ""
    prefix_images: tuple[ImageRef, ...] = ()  # every image of ``prefix``, in order
    prefix_files: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class DropPrepared:
    """These images left the composer unsent: stop encoding them, forget what was encoded ahead. No reply."""

    digests: tuple[str, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class ForgetImages:
    """These images were deleted for good: forget their embeddings, and a cached conversation holding any. No reply."""

    digests: tuple[str, ...]


ParentMessage = (LoadRequest | ChatJob | Pixels | MeasureRequest | InfoRequest | ResetRequest | SaveState | RestoreState
                 | Quit | PrepareImages | DropPrepared | ForgetImages | ParallelJob | MoreRequests)

# ---- child -> parent ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Loaded:
    """The model is loaded; the chat template needs its BOS and EOS texts."""

    result: LoadResult
    bos_token: str
    eos_token: str


@dataclasses.dataclass(frozen=True, slots=True)
class StageReport:
    """The request entered ``stage``; for images, ``index`` (1-based) of ``total``."""

    stage: Stage
    index: int | None = None
    total: int | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Text:
    """Newly generated text (whole characters). Sent per token, so it pickles as small as a tuple would."""

    text: str

    def __reduce__(self) -> tuple[type[Text], tuple[str]]:
        return Text, (self.text,)


@dataclasses.dataclass(frozen=True, slots=True)
class Alive:
    """Long native work (an image encode, a prompt batch) is still making progress; at most a few a second."""


@dataclasses.dataclass(frozen=True, slots=True)
class Measured:
    """The answer to ``MeasureRequest``: text tokens, each image's layout, the context size."""

    layout: dict[str, Any]


@dataclasses.dataclass(frozen=True, slots=True)
class NeedPixels:
    """The child must evaluate these images (indices into ``ChatJob.images``); the parent answers ``Pixels``."""

    indices: tuple[int, ...]


@dataclasses.dataclass(frozen=True, slots=True)
class Done:
    """The chat request ended. ``timings.ttft_ms`` is the child's; the parent puts its own in its place."""

    stop_reason: StopReason
    usage: Usage
    timings: Timings


@dataclasses.dataclass(frozen=True, slots=True)
class SystemInfo:
    """What ``visiondesk doctor`` shows: llama.cpp and the devices (free-form), and the backends chosen (typed)."""

    info: dict[str, Any]
    backends: BackendChoice


@dataclasses.dataclass(frozen=True, slots=True)
class StateKept:
    """The answer to ``SaveState`` and ``RestoreState``: KV positions saved or restored, and their bytes (0: none)."""

    positions: int
    nbytes: int


@dataclasses.dataclass(frozen=True, slots=True)
class Ok:
    """The request succeeded and has nothing to say."""


@dataclasses.dataclass(frozen=True, slots=True)
class ErrorReply:
    """A request failed: a ``VisionDeskError`` as (class name, message, attributes)."""

    kind: str
    message: str
    attrs: dict[str, object] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, exc: VisionDeskError) -> ErrorReply:
        """The reply that carries ``exc`` across."""
        return cls(type(exc).__name__, str(exc), dict(vars(exc)))

    @classmethod
    def unknown(cls, message: object) -> ErrorReply:
        """The reply to a message the receiver does not know."""
        return cls.of(EngineProtocolError(f"unknown message {type(message).__name__}"))

    def error(self) -> VisionDeskError:
        """The error again, as its own class."""
        return rebuild(self.kind, self.message, self.attrs)


@dataclasses.dataclass(frozen=True, slots=True)
class PrepareState:
    """A notice, not a reply: the child's images encoded ahead, after each change.

    ``ready``: digests encoded ahead and not yet used by an answer (removing them frees their embeddings);
    ``waiting``: digests still to encode, in order. The counts run from the loading of the model.
    """

    ready: tuple[str, ...] = ()
    waiting: tuple[str, ...] = ()
    encoded: int = 0  # images encoded ahead
    encode_ms: float = 0.0  # their encoder time, all together
    interrupted: int = 0  # encodes stopped for a request that could not wait (then done again)
    dropped: int = 0  # images dropped (waiting or ready) because they left the composer unsent
    failed: int = 0  # images that could not be read or encoded (the answer that needs them says why)
    prefixes: int = 0  # conversations read into the context ahead of their question


ChildMessage = (Loaded | StageReport | Text | Alive | NeedPixels | Measured | Done | SystemInfo | StateKept | Ok
                | ErrorReply | PrepareState | NeedRequests | SlotText | SlotDone | SlotFailed | ParallelDone)
