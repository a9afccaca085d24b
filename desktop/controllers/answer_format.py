"""The answer format of the open conversation: chosen beside the composer, kept in the store, used by Send.

Values as stored: '' (free text), 'json_object', or 'preset:NAME' (a batch preset's schema). A new
chat keeps its choice until its first message creates the conversation, then stores it.

A preset's ``ResponseFormat`` is built when it is first chosen or opened, not when the box is filled:
checking a schema imports ``jsonschema``, which the window's start-up does without. A preset whose schema
generation cannot enforce then falls back to free text, and ``show_error`` says why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from visiondesk.batch import Preset, all_presets
from visiondesk.core.store import ConversationStore
from visiondesk.engine import ResponseFormat, VisionDeskError

from ..views.answer_format import AnswerFormatBox

log = logging.getLogger(__name__)
FREE_TEXT, JSON_OBJECT, PRESET = "", "json_object", "preset:"


class AnswerFormatController(QObject):
    """Fills the box, remembers the choice per conversation, and turns it into a ``ResponseFormat``."""

    def __init__(self, store: ConversationStore, view: AnswerFormatBox, language: Callable[[], str],
                 parent: QObject | None = None,
                 show_error: Callable[[BaseException], None] = lambda exc: None) -> None:
        super().__init__(parent)
        self.store, self.view, self._language, self._show_error = store, view, language, show_error
        self.conversation_id: int | None = None
        self.value = FREE_TEXT
        self._formats: dict[str, ResponseFormat | None] = {FREE_TEXT: None}  # built at first use
        self._presets: dict[str, Preset] = {}
        self.fill()
        view.combo.activated.connect(self._chosen)
        view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Refill the choices when the language changes (preset titles are per language)."""
        if watched is self.view and event.type() == QEvent.Type.LanguageChange:
            self.fill()
        return False

    def fill(self) -> None:
        """The choices, in the current language, with the current one selected."""
        lang = "zh" if self._language().startswith("zh") else "en"
        combo = self.view.combo
        combo.clear()
        combo.addItem(self.tr("Free text"), FREE_TEXT)
        combo.addItem(self.tr("JSON object"), JSON_OBJECT)
        for name, preset in sorted(all_presets().items()):
            if preset.schema is None:
                continue
            value = PRESET + name
            self._presets[value] = preset
            title = preset.titles.get(lang) or preset.titles.get("en") or name
            combo.addItem(self.tr("JSON: %1").replace("%1", title), value)
        self._select(self.value)

    def _select(self, value: str) -> None:
        index = self.view.combo.findData(value)
        if index < 0:  # a preset that is gone (a user's file removed): free text, said in the log
            log.warning("answer format %r is not available; using free text", value)
            value, index = FREE_TEXT, 0
        elif not self._build(value):
            value, index = FREE_TEXT, 0
        self.value = value
        self.view.combo.setCurrentIndex(index)

    def _build(self, value: str) -> bool:
        """Make ``value``'s format if it is not made yet; False (said) if its schema cannot be enforced."""
        if value in self._formats:
            return True
        try:
            self._formats[value] = (ResponseFormat.json_object() if value == JSON_OBJECT
                                    else self._presets[value].response_format())
        except VisionDeskError as exc:  # a user's preset whose schema the grammar cannot enforce
            log.warning("answer format %s cannot be used: %s", value, exc)
            self._show_error(exc)
            return False
        return True

    def show_conversation(self, conversation_id: int | None) -> None:
        """Show the format of the conversation now open (a new chat starts as free text)."""
        self.conversation_id = conversation_id
        value = FREE_TEXT
        if conversation_id is not None:
            try:
                value = self.store.answer_format(conversation_id)
            except KeyError:  # NotFoundError: deleted meanwhile
                value = FREE_TEXT
        self._select(value)

    def on_created(self, conversation_id: int) -> None:
        """A new chat's first message made its conversation: keep the choice made before it."""
        self.conversation_id = conversation_id
        if self.value != FREE_TEXT:
            self.store.set_answer_format(conversation_id, self.value)

    def _chosen(self, index: int) -> None:
        self._select(str(self.view.combo.itemData(index) or FREE_TEXT))
        value = self.value
        if self.conversation_id is not None:
            self.store.set_answer_format(self.conversation_id, value)

    def response_format(self) -> ResponseFormat | None:
        """The format for the next answer (None: free text)."""
        return self._formats.get(self.value)
