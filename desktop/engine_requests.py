"""What is handed to the engine thread besides the window's own chats: another thread's chat, a conversation's name.

Its own module so that ``worker`` (which runs these) and its callers (``shared_backend``, the shell) share them.
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


def conversation_key(conversation_id: int | None) -> str | None:
    """The name a stored conversation's saved engine state goes by (``LocalEngine.save_state``)."""
    return None if conversation_id is None else f"conversation-{conversation_id}"
