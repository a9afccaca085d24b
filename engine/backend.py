"""The seam every backend sits on: the local llama.cpp engine, a remote server, and their consumers.

A backend loads (or connects to) one model, says what it has (``BackendInfo``), and answers a
conversation as a stream of typed events (``EngineEvent``) that a ``CancelToken`` stops. The window,
the command line, the API server and batch jobs hold a ``Backend`` and never construct a concrete one
themselves: they are handed one, or a factory of one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol, TypeVar, runtime_checkable

from .cancel import CancelToken
from .events import EngineEvent
from .requests import ImageAttachment, ImageSource, Message, SamplingParams

TargetT = TypeVar("TargetT", contravariant=True)


@dataclasses.dataclass(frozen=True, kw_only=True)
class BackendInfo:
    """What a backend has loaded or is connected to."""

    model_name: str  # what the user sees: a file's stem, or the server's model id
    vision: bool | None  # whether it sees images; None: unknown until tried (some servers)
    n_ctx: int  # context size in tokens; 0 where the backend cannot tell
    runs_on: str  # where the model runs, for people: "CPU", "CUDA", "remote: host:port", ...
    remote_host: str | None = None  # set when requests leave this computer


class Backend(Protocol[TargetT]):
    """Load or connect, describe, chat, close. Use one backend from one thread at a time."""

    def load(self, target: TargetT) -> BackendInfo:
        """Load (or connect to) ``target``, replacing what was loaded; raises ``VisionDeskError``."""
        ...

    @property
    def info(self) -> BackendInfo | None:
        """What is loaded now, or None."""
        ...

    def chat(self, messages: Sequence[Message], sampling: SamplingParams = SamplingParams(),
             cancel: CancelToken | None = None) -> Iterator[EngineEvent]:
        """Answer the conversation's last user message; the last event is always ``Finished``."""
        ...

    def prepare_images(self, images: Sequence[ImageSource | ImageAttachment],
                       history: Sequence[Message] | None = None) -> None:
        """Get ``images`` ready for the question that will carry them (after ``history``), without waiting.

        The local engine encodes them (and reads ``history`` and them into its context) in the background;
        an answer never waits for that work. A backend that cannot prepare does nothing.
        """
        ...

    def drop_prepared_images(self, images: Sequence[ImageSource | ImageAttachment]) -> None:
        """``images`` will not be sent after all: stop preparing them and free what was prepared."""
        ...

    def reset_conversation(self) -> None:
        """Forget any cached conversation state."""
        ...

    def close(self) -> None:
        """Stop any request and free what the backend holds. Safe to call from any thread."""
        ...


@dataclasses.dataclass(frozen=True)
class ParallelRequest:
    """One request of ``ParallelBackend.chat_parallel``; ``key`` is the caller's name for it in the events."""

    key: int
    messages: Sequence[Message]
    sampling: SamplingParams = SamplingParams()


@runtime_checkable
class ParallelBackend(Protocol):
    """A backend that answers several requests at once itself (the local engine's parallel slots)."""

    @property
    def parallel_slots(self) -> int:
        """Requests answered at once."""
        ...

    def chat_parallel(self, requests: Iterable[ParallelRequest],
                      cancel: CancelToken | None = None) -> Iterator[tuple[int, EngineEvent]]:
        """Answer ``requests`` (pulled as slots free up): ``(key, event)`` pairs, one ``Finished`` per request taken.

        Requests not yet taken when ``cancel`` is set get no event.
        """
        ...
