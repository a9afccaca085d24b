"""``ForeignChat``: a chat another thread (the API server, a batch job) hands the engine thread.

Its own module so that ``worker`` (which runs it) and ``shared_backend`` (which makes it) share the type.
"""

from __future__ import annotations

import dataclasses
import queue
import threading

from visiondesk.engine import CancelToken, EngineEvent, Message, SamplingParams


@dataclasses.dataclass(frozen=True, eq=False)
class ForeignChat:
    """A chat another thread asked for: the engine thread puts every event into ``events``, ``Finished`` last."""

    messages: tuple[Message, ...]
    params: SamplingParams
    cancel: CancelToken
    events: queue.SimpleQueue[EngineEvent] = dataclasses.field(default_factory=queue.SimpleQueue)
    started: threading.Event = dataclasses.field(default_factory=threading.Event)  # the engine thread took it up
