"""The messages of a parallel job: several requests answered at once in one context, each event tagged.

Parent -> child: ``ParallelJob`` (the first requests; ``more`` says whether others may follow). The child
answers with a stream of ``SlotText``/``SlotDone``/``SlotFailed``/``Alive``, asks ``NeedRequests`` when slots
are free and it has nothing queued (the parent answers ``MoreRequests``), and ends with ``ParallelDone``,
or with ``ErrorReply`` when the whole job failed (a request's own failure is its ``SlotFailed``). Every
request the child took gets exactly one ``SlotDone`` or ``SlotFailed``, also when the job is cancelled.
"""

from __future__ import annotations

import dataclasses

from ...errors import VisionDeskError, rebuild
from ...events import StopReason, Timings, Usage
from ...requests import SamplingParams
from ..image_cache import ImageRef


@dataclasses.dataclass(frozen=True, slots=True)
class SlotRequest:
    """One request of a parallel job: its rendered prompt, its images and their prepared pixels (files)."""

    request_id: int
    prompt: str
    images: tuple[ImageRef, ...]
    pixel_files: tuple[str, ...]
    sampling: SamplingParams


@dataclasses.dataclass(frozen=True, slots=True)
class ParallelJob:
    """Answer these requests in parallel sequences; with ``more``, ask for others as slots free up."""

    requests: tuple[SlotRequest, ...]
    more: bool


@dataclasses.dataclass(frozen=True, slots=True)
class MoreRequests:
    """The answer to ``NeedRequests``: up to that many requests; ``more`` False when there are no others."""

    requests: tuple[SlotRequest, ...]
    more: bool


@dataclasses.dataclass(frozen=True, slots=True)
class NeedRequests:
    """``free`` slots are idle and nothing is queued: the parent answers ``MoreRequests``."""

    free: int


@dataclasses.dataclass(frozen=True, slots=True)
class SlotText:
    """New text of several requests at once: (request id, text) pairs, whole characters."""

    pieces: tuple[tuple[int, str], ...]


@dataclasses.dataclass(frozen=True, slots=True)
class SlotDone:
    """One request ended (its text all sent before)."""

    request_id: int
    stop_reason: StopReason
    usage: Usage
    timings: Timings


@dataclasses.dataclass(frozen=True, slots=True)
class SlotFailed:
    """One request failed (a ``VisionDeskError`` as class name, message, attributes); the others go on."""

    request_id: int
    kind: str
    message: str
    attrs: dict[str, object] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, request_id: int, exc: VisionDeskError) -> SlotFailed:
        """The message that carries ``exc`` across for ``request_id``."""
        return cls(request_id, type(exc).__name__, str(exc), dict(vars(exc)))

    def error(self) -> VisionDeskError:
        """The error again, as its own class."""
        return rebuild(self.kind, self.message, self.attrs)


@dataclasses.dataclass(frozen=True, slots=True)
class ParallelDone:
    """The job ended: every request it took has had its ``SlotDone`` or ``SlotFailed``."""
