"""What the model reads of a stored conversation: which turns (a full context drops the oldest), which images.

Each message goes with its stored id (``HistoryItem``), so the window knows where a cut falls and which answer
a Continue extends.
"""

from __future__ import annotations

from collections.abc import Callable

from visiondesk.core.settings import Settings
from visiondesk.core.store import ConversationStore
from visiondesk.engine import Message

# What "Continue" asks: a request the model reads after the cut answer, never stored or shown; the model's
# words are appended to that same answer.
CONTINUE_PROMPT = "Continue your previous answer exactly where it stopped, without repeating any of it."
SYSTEM_ID = 0  # the id in history items of what is not a stored message (the system prompt, CONTINUE_PROMPT)
HistoryItem = tuple[int, Message]  # (stored message id, the message as the engine reads it)


def without_oldest_turn(items: list[HistoryItem]) -> list[HistoryItem] | None:
    """``items`` less their oldest question and the answer to it; None when only the newest turn is left.

    The system prompt stays, and so does the newest stored question with all that follows it (for a Continue:
    the answer being continued and the request to go on).
    """
    start = 1 if items and items[0][1].role == "system" else 0
    users = [i for i, (mid, m) in enumerate(items) if m.role == "user" and mid != SYSTEM_ID]
    if len(users) < 2:
        return None
    following = [i for i in users if i > start]
    return items[:start] + items[following[0]:]


class ChatHistory:
    """Builds the engine's view of a conversation from the store, under the settings and the loaded model."""

    def __init__(self, store: ConversationStore, settings: Settings, sees_images: Callable[[], bool | None]) -> None:
        self.store, self.settings, self._sees_images = store, settings, sees_images

    def items(self, conversation_id: int) -> list[HistoryItem]:
        """The stored conversation as engine messages, each with its stored id (failed, empty answers left out).

        Turns before the conversation's cut (``cut_of``) are left out; on a model that cannot see images the
        images are left out, so a conversation that had them goes on.
        """
        blind = self._sees_images() is False
        cut = self.cut_of(conversation_id)
        out = [(SYSTEM_ID, Message.system(self.settings.system_prompt))] if self.settings.system_prompt else []
        for m in self.store.messages(conversation_id):
            if m.id < cut:
                continue
            if m.role == "user":
                out.append((m.id, Message("user", m.text, () if blind else m.attachments)))
            elif m.role == "assistant" and m.text and not (m.stats or {}).get("error"):
                out.append((m.id, Message.assistant(m.text)))
        return out

    def cut_of(self, conversation_id: int) -> int:
        """The first stored message the model still reads, once older turns were dropped to fit (0: all)."""
        if not self.settings.drop_oldest_turns:
            return 0
        return max((int((m.stats or {}).get("context_from", 0)) for m in self.store.messages(conversation_id)
                    if m.role == "assistant"), default=0)

    def images_left_out(self, conversation_id: int, items: list[HistoryItem]) -> int:
        """How many images of the messages in ``items`` the model does not read (it cannot see them)."""
        if self._sees_images() is not False:
            return 0
        read = {mid for mid, _ in items}
        return sum(len(m.attachments) for m in self.store.messages(conversation_id) if m.id in read)
