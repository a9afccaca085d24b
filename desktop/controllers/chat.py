"""Sending, streaming, stopping, regenerating and editing; answers are saved while they stream."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from visiondesk.core.settings import Settings
from visiondesk.core.store import ConversationStore, NotFoundError
from visiondesk.core.store_models import StoredMessage
from visiondesk.engine import (
    ContextOverflow,
    Finished,
    ImageSource,
    Message,
    SamplingParams,
    Stage,
    StopReason,
    VisionDeskError,
)
from visiondesk.engine.requests import ImageAttachment
from visiondesk.engine.structured import ResponseFormat

from ..error_text import error_text
from ..worker import EngineThread
from .chat_history import CONTINUE_PROMPT, SYSTEM_ID, ChatHistory, HistoryItem, without_oldest_turn
from .composer import ComposerController
from .transcript import TranscriptPresenter

log = logging.getLogger(__name__)
REPAINT_MS = 40  # streamed text is re-rendered in batches, never per token
SAVE_EVERY_S = 1.0  # a streaming answer reaches the database at least this often


@dataclasses.dataclass
class ActiveAnswer:
    """The answer being produced right now."""

    request_id: int
    message_id: int
    conversation_id: int
    text: str = ""
    dirty: bool = False
    saved_at: float = 0.0
    images_left_out: int = 0  # images of the conversation the model could not see, so did not read
    items: list[HistoryItem] = dataclasses.field(default_factory=list)  # what the model reads for this answer
    cut_from: int = 0  # the first stored message the model reads when older ones are left out (0: none are)
    max_tokens: int = 0
    prefix_tokens: int = 0  # tokens of the answer written before a Continue
    started: float = dataclasses.field(default_factory=time.monotonic)
    stopped: bool = False  # Stop was asked: an overflow that comes back is not asked again without old turns


def stored_attachments(msg: StoredMessage) -> list[tuple[Path, str]]:
    """(path, name) of a stored message's images."""
    return [(a.path, a.name) for a in msg.attachments]


class ChatController(QObject):
    """The conversation shown in the chat pane, and its one answer in flight."""

    conversation_created = Signal(int)
    busy_changed = Signal(bool)
    answer_finished = Signal(object)  # Finished

    def __init__(self, store: ConversationStore, engine: EngineThread, settings: Settings,
                 presenter: TranscriptPresenter, composer: ComposerController,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store, self.engine, self.settings = store, engine, settings
        self.presenter, self.composer = presenter, composer
        self.conversation_id: int | None = None
        self.active: ActiveAnswer | None = None
        # Asked before each answer is requested: None goes on, a text says why nothing was sent (a remote
        # server the user did not agree to send to); the shell sets it (controllers/remote_session.py).
        self.before_answer: Callable[[int], str | None] = lambda _conversation_id: None
        self.response_format: Callable[[], ResponseFormat | None] = lambda: None  # the conversation's answer format
        # Whether the loaded model sees images (False: its history goes without them; None: unknown, sent).
        self.sees_images: Callable[[], bool | None] = lambda: None
        self._history = ChatHistory(store, settings, lambda: self.sees_images())
        self._repaint = QTimer(self)
        self._repaint.setInterval(REPAINT_MS)
        self._repaint.timeout.connect(self._flush)
        composer.send_requested.connect(self.send)
        composer.stop_requested.connect(self.stop)
        presenter.regenerate_requested.connect(self.regenerate)
        presenter.edit_requested.connect(self.edit)
        presenter.continue_requested.connect(self.continue_answer)
        presenter.delete_requested.connect(self.delete_turn)
        presenter.version_requested.connect(self.show_version)
        worker = engine.worker
        worker.stage.connect(self._on_stage)
        worker.text.connect(self._on_text)
        worker.finished.connect(self._on_finished)

    @property
    def busy(self) -> bool:
        """Whether a message is being sent or answered."""
        return self.active is not None

    def _set_busy(self) -> None:
        self.composer.set_busy(self.busy)
        self.presenter.set_idle_actions(not self.busy)
        self.busy_changed.emit(self.busy)

    # -- conversations ---------------------------------------------------------------------------

    def open_conversation(self, conversation_id: int | None) -> None:
        """Show a stored conversation (None: a new, empty one).

        An answer being written goes on: it keeps streaming into its own conversation (and the store), and
        shows as it stands when its conversation is opened again. The engine keeps the state of the
        conversation left on disk and brings back the one opened, so a follow-up reads only its new turn.
        """
        self.engine.switch_conversation(self.conversation_id, conversation_id)
        self.composer.switch_draft(self.conversation_id, conversation_id)
        self.conversation_id = conversation_id
        self.presenter.clear()
        if conversation_id is None:
            self._set_busy()
            return
        a = self.active
        for msg in self.store.messages(conversation_id):
            if a is not None and msg.id == a.message_id:  # still streaming: its newest text, not the saved one
                self.presenter.add(msg.id, msg.role, a.text, [])
                self.presenter.set_status(msg.id, self.tr("Writing…"), "stage")
                continue
            self.presenter.add(msg.id, msg.role, msg.text, stored_attachments(msg))
            self._show_outcome(msg)
        self.presenter.set_cut(self.cut_of(conversation_id) or None)
        for mid, (shown, positions) in self.store.versions(conversation_id).items():
            self.presenter.set_versions(mid, shown, positions)
        self._set_busy()

    def _show_outcome(self, msg: StoredMessage) -> None:
        if msg.role != "assistant":
            return
        stats = msg.stats or {}
        notes = self._notes(stats)
        if not msg.complete:
            self.presenter.set_status(msg.id, self.tr(
                "Incomplete: VisionDesk closed while this answer was being written."), "incomplete")
        elif stats.get("error"):
            self.presenter.set_status(msg.id, stats["error"], "error")
        elif stats.get("stop_reason") == StopReason.CANCELLED:
            self.presenter.set_status(msg.id, " ".join([self.tr("Stopped."), *notes]), "stopped")
        elif notes:
            self.presenter.set_status(msg.id, " ".join(notes), "note")
        self.presenter.set_stats(msg.id, stats)

    def _notes(self, stats: dict[str, Any]) -> list[str]:
        """What the model did not read for this answer, said plainly."""
        notes = []
        if stats.get("images_left_out"):
            notes.append(self.tr("The model cannot see images, so %1 image(s) of this conversation were left out "
                                 "of what it read.").replace("%1", str(stats["images_left_out"])))
        return notes

    # -- sending ---------------------------------------------------------------------------------

    def send(self, text: str, images: list[ImageAttachment | ImageSource], replace_from: int | None = None) -> None:
        """Save the user message before anything else (it is durable when this returns), then ask for an answer.

        Attached images are already stored (at attach time), so saving is one short SQLite transaction here on
        the UI thread; an image whose check had not finished at Send is stored as its bytes now.
        """
        if self.busy:
            return
        if self.conversation_id is None:
            conv = self.store.create_conversation(model=self.settings.model_path)
            self.conversation_id = conv.id
            self.store.auto_title(conv.id, text or self.tr("Images"))
            self.conversation_created.emit(conv.id)
        conv_id = self.conversation_id
        if replace_from is not None:
            self.store.delete_messages_from(conv_id, replace_from)
            self.presenter.remove_from(replace_from)
        attachments = [i if isinstance(i, ImageAttachment) else i.path if i.path is not None else
                       (i.data or b"", i.name) for i in images]
        try:
            msg = self.store.add_message(conv_id, "user", text, attachments)
        except (OSError, ValueError, VisionDeskError) as exc:
            log.warning("the message could not be saved: %s", exc)
            self.composer.view.show_error(error_text(exc))
            return
        self.presenter.add(msg.id, "user", msg.text, stored_attachments(msg))
        self._start_answer(conv_id)

    def _start_answer(self, conversation_id: int) -> None:
        items = self.history_items(conversation_id)
        msg = self.store.add_message(conversation_id, "assistant", "", complete=False)
        if conversation_id == self.conversation_id:
            self.presenter.add(msg.id, "assistant", "", [])
        self._request(conversation_id, msg.id, items)

    def _request(self, conversation_id: int, message_id: int, items: list[HistoryItem], text: str = "",
                 prefix_tokens: int = 0) -> None:
        """Ask for the answer ``message_id`` (``text``: what it says already, for a Continue) from ``items``."""
        if conversation_id == self.conversation_id:
            self.presenter.set_status(message_id, self.tr("Waiting for the model…"), "stage")
        refusal = self.before_answer(conversation_id)
        if refusal is not None:  # the question stays; the answer says why it was not sent
            self.store.update_message(message_id, text, complete=True,
                                      stats={"error": refusal, "error_kind": "NotSent"})
            if conversation_id == self.conversation_id:
                self.presenter.set_status(message_id, "")
                self._show_outcome(self.store.get_message(message_id))
            return
        sampling = self.sampling()
        request_id = self.engine.chat([m for _, m in items], sampling)
        self.active = ActiveAnswer(request_id, message_id, conversation_id, text=text, saved_at=time.monotonic(),
                                   images_left_out=self._history.images_left_out(conversation_id, items), items=items,
                                   cut_from=self.cut_of(conversation_id), max_tokens=sampling.max_tokens,
                                   prefix_tokens=prefix_tokens)
        self._repaint.start()
        self._set_busy()

    def history(self, conversation_id: int) -> list[Message]:
        """The stored conversation as the engine reads it (``history_items`` without the ids)."""
        return [m for _, m in self.history_items(conversation_id)]

    def history_items(self, conversation_id: int) -> list[HistoryItem]:
        """The stored conversation as the engine reads it, each message with its stored id (``ChatHistory``)."""
        return self._history.items(conversation_id)

    def cut_of(self, conversation_id: int) -> int:
        """The first stored message the model still reads, once older turns were dropped to fit (0: all)."""
        return self._history.cut_of(conversation_id)

    def sampling(self) -> SamplingParams:
        """Sampling parameters from the settings, with the conversation's answer format."""
        s = self.settings
        return SamplingParams(temperature=s.temperature, top_p=s.top_p, max_tokens=s.max_tokens,
                              response_format=self.response_format())

    def stop(self) -> None:
        """Stop at whatever stage the answer is (Esc)."""
        if self.active is not None:
            self.active.stopped = True
            self.engine.cancel(self.active.request_id)

    # -- regenerate and edit ---------------------------------------------------------------------

    def regenerate(self, message_id: int | None = None) -> None:
        """Write an answer (the last by default) again; its text so far is kept as an earlier version.

        The turns after that answer grew from the old one, so they go, as after an edit.
        """
        target = message_id if message_id is not None else self.presenter.last_assistant
        conv = self.conversation_id
        if self.busy or conv is None or target is None:
            return
        later = [m.id for m in self.store.messages(conv) if m.id > target]
        if later:
            self.store.delete_messages_from(conv, later[0])
        self.store.new_version(target)
        self.presenter.remove_from(target)  # a fresh view for the new version
        self.presenter.add(target, "assistant", "", [])
        shown, positions = self.store.versions(conv).get(target, (0, [0]))
        self.presenter.set_versions(target, shown, positions)
        self._request(conv, target, [i for i in self.history_items(conv) if i[0] < target])

    def show_version(self, message_id: int, position: int) -> None:
        """Flip an answer to another of its kept versions."""
        if self.busy or self.conversation_id is None:
            return
        self.store.show_version(message_id, position)
        msg = self.store.get_message(message_id)
        self.presenter.set_text(message_id, msg.text)
        self.presenter.set_status(message_id, "")
        self._show_outcome(msg)
        shown, positions = self.store.versions(self.conversation_id).get(message_id, (0, [0]))
        self.presenter.set_versions(message_id, shown, positions)

    def delete_turn(self, message_id: int) -> None:
        """Delete a question and its answer (the messages up to the next question)."""
        conv = self.conversation_id
        if self.busy or conv is None:
            return
        turn: list[int] = []
        for m in self.store.messages(conv):
            if m.id == message_id or turn and m.role != "user":
                turn.append(m.id)
            elif turn:
                break
        self.store.delete_messages(conv, turn)
        self.presenter.remove(turn)
        self._set_busy()  # the last question or answer may have changed: their actions follow

    def edit(self, message_id: int) -> None:
        """Put a question back into the composer; sending it replaces it and what followed."""
        if self.busy:
            return
        msg = self.store.get_message(message_id)
        self.composer.begin_edit(message_id, msg.text, list(msg.attachments))

    def continue_answer(self, message_id: int) -> None:
        """Ask the model to go on with an answer cut by the length limit; its words extend that same answer."""
        if self.busy or self.conversation_id is None or message_id != self.presenter.last_assistant:
            return
        items = self.history_items(self.conversation_id)
        if not items or items[-1][0] != message_id:
            return  # an answer the model does not read back (a failed one) cannot be continued
        msg = self.store.get_message(message_id)
        self.store.update_message(message_id, msg.text, complete=False)
        self._request(self.conversation_id, message_id, [*items, (SYSTEM_ID, Message.user(CONTINUE_PROMPT))],
                      text=msg.text, prefix_tokens=int((msg.stats or {}).get("completion_tokens", 0)))

    # -- the stream ------------------------------------------------------------------------------

    def _on_stage(self, request_id: int, stage: str, index: int, total: int) -> None:
        a = self.active
        if a is None or a.request_id != request_id:
            return
        texts = {
            Stage.LOADING: self.tr("Loading the model…"),
            Stage.ENCODING_IMAGE: (self.tr("Looking at image %1 of %2…").replace("%1", str(index))
                                   .replace("%2", str(total)) if total else self.tr("Looking at the image…")),
            Stage.READING_PROMPT: self.tr("Reading…"),
            Stage.GENERATING: self.tr("Writing…"),
        }
        self.presenter.set_status(a.message_id, texts.get(Stage(stage), stage), "stage")

    def _on_text(self, request_id: int, text: str) -> None:
        a = self.active
        if a is not None and a.request_id == request_id:
            a.text += text
            a.dirty = True

    def _flush(self) -> None:
        a = self.active
        if a is None or not a.dirty:
            return
        a.dirty = False
        if a.conversation_id == self.conversation_id:
            self.presenter.set_text(a.message_id, a.text)
        now = time.monotonic()
        if now - a.saved_at >= SAVE_EVERY_S:
            self._save(a, complete=False)
            a.saved_at = now

    def _save(self, a: ActiveAnswer, complete: bool, stats: dict[str, Any] | None = None) -> None:
        """Save the answer as it stands; nothing if its conversation was deleted and removed meanwhile."""
        try:
            self.store.update_message(a.message_id, a.text, complete=complete, stats=stats)
        except NotFoundError:
            log.info("answer %d not saved: its conversation was deleted", a.message_id)

    def conversation_deleted(self, conversation_id: int) -> None:
        """A deleted conversation's answer stops being written (Undo shows it stopped)."""
        if self.active is not None and self.active.conversation_id == conversation_id:
            self.stop()

    def keep_cut_answer(self) -> None:
        """Quitting: keep what the answer being written has, marked as cut."""
        a, self.active = self.active, None
        if a is not None:
            self._save(a, complete=True, stats={"stop_reason": "cancelled"})

    def _drop_oldest(self, a: ActiveAnswer) -> bool:
        """The conversation outgrew the context: ask again without its oldest turn; False if none can go."""
        shorter = without_oldest_turn(a.items) if self.settings.drop_oldest_turns else None
        if shorter is None:
            return False
        a.items = shorter
        a.cut_from = next(mid for mid, _ in shorter if mid != SYSTEM_ID)
        a.request_id = self.engine.chat([m for _, m in shorter], self.sampling())
        log.info("the conversation outgrew the context: the model now reads it from message %d", a.cut_from)
        if a.conversation_id == self.conversation_id:
            self.presenter.set_status(a.message_id, self.tr("The conversation is longer than the context: leaving "
                                                            "out its oldest turns…"), "stage")
        return True

    def _on_finished(self, request_id: int, fin: Finished) -> None:
        a = self.active
        if a is None or a.request_id != request_id:
            return
        if isinstance(fin.error, ContextOverflow) and not a.stopped and self._drop_oldest(a):
            return
        self._repaint.stop()
        stats: dict[str, Any] = {
            "stop_reason": str(fin.stop_reason), "ttft_ms": round(fin.timings.ttft_ms, 1),
            "decode_tok_s": round(fin.timings.decode_tok_s, 2),
            "completion_tokens": a.prefix_tokens + fin.usage.completion_tokens,
            "prompt_tokens": fin.usage.prompt_tokens, "backend": fin.backend,
        }
        if fin.stop_reason is StopReason.LENGTH:
            stats["cut_by"] = "max_tokens" if fin.usage.completion_tokens >= a.max_tokens else "context"
        if a.cut_from:
            stats["context_from"] = a.cut_from
        if a.images_left_out:
            stats["images_left_out"] = a.images_left_out
        if fin.error is not None:
            stats["error"] = error_text(fin.error)
            stats["error_kind"] = type(fin.error).__name__
        self._save(a, complete=True, stats=stats)
        self.active = None
        if a.conversation_id == self.conversation_id:
            self.presenter.set_text(a.message_id, a.text)
            self.presenter.set_status(a.message_id, "")
            self._show_outcome(self.store.get_message(a.message_id))
            self.presenter.set_cut(self.cut_of(a.conversation_id) or None)
            shown, positions = self.store.versions(a.conversation_id).get(a.message_id, (0, [0]))
            self.presenter.set_versions(a.message_id, shown, positions)
        self._set_busy()
        self.answer_finished.emit(fin)
