"""What ``chat_stream`` and ``parallel_chat`` use of the local engine, as a protocol.

They run LocalEngine's answers but live in modules of their own; typed against this protocol, they need not
import ``engine.py``, which imports them (the package stays free of import cycles; see pyproject's contracts).
"""

from __future__ import annotations

from typing import Protocol

from ..errors import VisionDeskError
from ..events import Finished, StopReason
from ..requests import ModelSpec
from .child_link import ChildLink
from .child_process import ChildProcess, Deadlines
from .image_feed import ImageFeed
from .worker.protocol import Loaded


class EngineParts(Protocol):
    """The parts of ``LocalEngine`` its answer loops read and call."""

    _link: ChildLink
    _images: ImageFeed
    _spec: ModelSpec | None
    _template: str
    _bos: str
    _eos: str
    _next_id: int

    @property
    def deadlines(self) -> Deadlines:
        """The waits for the engine process."""
        ...

    @property
    def parallel_slots(self) -> int:
        """Requests the loaded model answers at once."""
        ...

    def _child_with(self, spec: ModelSpec) -> ChildProcess: ...

    def _load_in(self, child: ChildProcess, spec: ModelSpec) -> Loaded: ...

    def _backend(self) -> str: ...

    def _gpu_layers(self) -> int: ...

    def _finished(self, reason: StopReason, error: VisionDeskError | None = None) -> Finished: ...
