"""The header's logic: which models the switcher offers, what the loaded one can do, how full the context is.

The switcher lists ``ModelChoice``s from a list of sources: local models (installed in the model manager, and the
configured file) and the models of the user's servers (``kind="remote"``, with the host they run on; their ``use``
connects instead of loading). The entry in use is the one whose key the window reports as current.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from visiondesk.core.model_binding import ServerModel
from visiondesk.core.settings import Settings
from visiondesk.core.store import ConversationStore
from visiondesk.core.store_models import StoredMessage
from visiondesk.engine.backend import BackendInfo
from visiondesk.engine.llama import LoadResult
from visiondesk.engine.remote import ServerStore, remote_host
from visiondesk.models.manager import ModelManager

from .. import placement_text
from ..views.header import ModelHeader

if TYPE_CHECKING:
    from visiondesk.engine.remote import ServerReport

log = logging.getLogger(__name__)
IMAGE_TOKENS_GUESS = 256  # a typical projector's tokens per image, for the estimate before the first answer
CHARS_PER_TOKEN = 4


@dataclasses.dataclass(frozen=True)
class ModelChoice:
    """One entry of the model switcher."""

    label: str
    kind: str  # "local" or "remote" (a model on one of the user's servers)
    vision: bool | None
    use: Callable[[], None]  # make it the model in use
    key: str  # identifies the entry: a model file's path, or a server model's ``ServerModel.column()``
    host: str | None = None  # remote: the host it runs on (None: a server on this computer)
    server: str = ""  # remote: the server's name


ChoiceSource = Callable[[], list[ModelChoice]]


def local_choices(models: ModelManager, settings: Settings, use_files: Callable[[Path, Path | None], None]
                  ) -> list[ModelChoice]:
    """Installed models, plus the configured file when it is not one of them."""
    out: list[ModelChoice] = []
    try:
        installed = models.installed()
    except Exception as exc:  # a damaged registry must not take the header down
        log.warning("cannot list installed models: %s", exc)
        installed = []
    for m in installed:
        model, mmproj = m.model.path, m.mmproj.path if m.mmproj else None
        out.append(ModelChoice(m.name, "local", m.has_vision,
                               lambda a=model, b=mmproj: use_files(a, b), str(model)))
    keys = {c.key for c in out}
    if settings.model_path and settings.model_path not in keys:
        model_path = Path(settings.model_path)
        mmproj_path = Path(settings.mmproj_path) if settings.mmproj_path else None
        out.append(ModelChoice(model_path.stem, "local", mmproj_path is not None,
                               lambda: use_files(model_path, mmproj_path), str(model_path)))
    return out


def remote_choices(servers: ServerStore, reports: Mapping[str, ServerReport], current: ServerModel | None,
                   use_remote: Callable[[str, str], None]) -> list[ModelChoice]:
    """The models of the user's servers as their last tests listed them, and the one in use even before a test."""
    out: list[ModelChoice] = []
    for entry in servers.list():
        report = reports.get(entry.id)
        models = [(m.id, m.vision) for m in report.models] if report is not None else []
        host = report.remote_host if report is not None else remote_host(entry.base_url)
        if current is not None and current.server_id == entry.id and current.model not in {m for m, _ in models}:
            models.append((current.model, None))  # in use, not listed (yet): whether it sees images is unknown
        for model, vision in models:
            out.append(ModelChoice(model, "remote", vision, lambda s=entry.id, n=model: use_remote(s, n),
                                   ServerModel(entry.id, model).column(), host, entry.name))
    return out


def estimate_tokens(messages: Sequence[StoredMessage], system_prompt: str) -> tuple[int, bool]:
    """Tokens the conversation takes: the last answer's count when there is one (exact), else a guess."""
    for m in reversed(messages):
        stats = m.stats or {}
        if m.role == "assistant" and stats.get("prompt_tokens"):
            later = sum(len(x.text) // CHARS_PER_TOKEN for x in messages if x.id > m.id)
            return int(stats["prompt_tokens"]) + int(stats.get("completion_tokens") or 0) + later, later == 0
    text = len(system_prompt) + sum(len(m.text) for m in messages)
    images = sum(len(m.attachments) for m in messages)
    return text // CHARS_PER_TOKEN + images * IMAGE_TOKENS_GUESS, False


def vision_dot(vision: bool | None) -> QIcon:
    """A small green dot for a model that sees images, a hollow grey one for a text-only model."""
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    color = QColor("#2e8b57") if vision else QColor("#9aa0a6")
    painter.setPen(color)
    painter.setBrush(color if vision else QColor(0, 0, 0, 0))
    painter.drawEllipse(2, 2, 8, 8)
    painter.end()
    return QIcon(pixmap)


class HeaderController(QObject):
    """Keeps the header in step with the model controller and the open conversation."""

    def __init__(self, view: ModelHeader, store: ConversationStore, settings: Settings,
                 sources: list[ChoiceSource], actions: list[tuple[Callable[[], str], Callable[[], None]]],
                 parent: QObject | None = None, current_key: Callable[[], str] | None = None,
                 notify: Callable[[str], None] | None = None) -> None:
        super().__init__(parent)
        self.notify = notify or (lambda _text: None)  # the window's notice bar
        self._placement_said: tuple[str, int] | None = None
        self.view, self.store, self.settings = view, store, settings
        self.sources, self.actions = sources, actions
        # The key of the model in use: the configured file's path unless the window says otherwise (a server's).
        self.current_key = current_key or (lambda: self.settings.model_path or "")
        self.info: BackendInfo | None = None
        self.state = "none"
        self.choices: list[ModelChoice] = []
        self._shown: object = None  # what the list was last built from
        self._current = -1  # the entry in use
        self.conversation_id: int | None = None
        self.used, self.exact = 0, False
        view.switcher.about_to_show.connect(self.refresh_choices)
        view.switcher.activated.connect(self._activated)
        self.refresh_choices()
        self.show_model()
        self.show_context()

    # -- the switcher -------------------------------------------------------------------------------

    def refresh_choices(self) -> None:
        """Rebuild the list (cheap: the model registry is a small JSON file); unchanged, it is left alone."""
        choices = [c for source in self.sources for c in source()]
        shown = ([(c.key, self._label(c), self._tooltip(c)) for c in choices], self.current_key(), self.state,
                 [label() for label, _run in self.actions], self.tr("No model"))
        combo = self.view.switcher
        combo.blockSignals(True)
        if shown == self._shown and combo.count():  # nothing new (the popup may be open): only undo a pick
            combo.setCurrentIndex(self._current)
            combo.blockSignals(False)
            return
        self.choices, self._shown = choices, shown
        combo.clear()
        current, in_use = -1, self.current_key()
        for i, c in enumerate(self.choices):
            combo.addItem(vision_dot(c.vision), self._label(c))
            combo.setItemData(i, c.key)
            combo.setItemData(i, self._tooltip(c), Qt.ItemDataRole.ToolTipRole)
            if c.key == in_use:
                current = i
        if not self.choices:
            combo.addItem(self.tr("No model"))
            current = 0
        combo.insertSeparator(combo.count())
        for label, _run in self.actions:
            combo.addItem(label())
        combo.setCurrentIndex(current)
        self._current = current
        if current < 0:
            combo.setCurrentIndex(-1)
            combo.setPlaceholderText(self.tr("Choose a model"))
        combo.blockSignals(False)

    def _label(self, choice: ModelChoice) -> str:
        if choice.kind != "remote":
            return choice.label
        where = self.tr("remote: %1").replace("%1", choice.host) if choice.host else self.tr("server on this computer")
        return f"{choice.label} — {where}"

    def _tooltip(self, choice: ModelChoice) -> str:
        sees = {True: self.tr("Sees images"), False: self.tr("Text only"),
                None: self.tr("Vision unknown until an image is tried")}[choice.vision]
        if choice.kind != "remote":
            return sees
        if choice.host:
            return self.tr("%1 on the server %2 (%3): messages and images sent to it leave this computer") \
                .replace("%1", sees).replace("%2", choice.server).replace("%3", choice.host)
        return self.tr("%1 on the server %2, on this computer").replace("%1", sees).replace("%2", choice.server)

    def _activated(self, index: int) -> None:
        n = len(self.choices) or 1
        if index < len(self.choices):
            chosen = self.choices[index]
            if chosen.key != self.current_key() or self.state == "failed":
                chosen.use()
        elif index > n:  # after the separator: an action
            self.actions[index - n - 1][1]()
        self.refresh_choices()

    # -- the loaded model ---------------------------------------------------------------------------

    def model_state(self, state: str, info: BackendInfo | None) -> None:
        """The model controller's state changed."""
        self.state, self.info = state, info
        self.refresh_choices()
        self.show_model()
        self.show_context()

    def model_loaded(self, info: BackendInfo) -> None:
        """A model finished loading: say so when short GPU memory slows it (once per model and placement)."""
        if not isinstance(info, LoadResult):
            return
        text = placement_text.notice(info)
        key = (str(info.model), info.gpu_layers)
        if text and key != self._placement_said:
            self.notify(text)
        self._placement_said = key if text else None

    def show_model(self) -> None:
        """The marks beside the switcher."""
        v, info = self.view, self.info
        if self.state in ("loading", "checking"):
            v.set_badge(v.vision, self.tr("Loading…"), "palette(placeholder-text)")
            v.set_badge(v.runs_on, "", "")
            return
        if info is None:
            v.set_badge(v.vision, self.tr("No model loaded") if self.state == "failed" else "",
                        "#d64545")
            v.set_badge(v.runs_on, "", "")
            return
        if info.vision:
            v.set_badge(v.vision, self.tr("Sees images"), "#2e8b57")
            v.vision.setToolTip(self.tr("This model can answer questions about images."))
        else:
            v.set_badge(v.vision, self.tr("Text only"), "#c17d11")
            v.vision.setToolTip(self.tr("This model cannot see images: it has no vision projector (mmproj)."))
        if info.remote_host:
            text, why = self.tr("Remote: %1").replace("%1", info.remote_host), self.tr("Where the model runs")
        elif not isinstance(info, LoadResult):  # a server on this computer (loopback)
            text, why = self.tr("Server on this computer"), self.tr("Where the model runs")
        else:
            text, why = placement_text.badge(info), placement_text.explanation(info)
        v.set_badge(v.runs_on, text, "palette(placeholder-text)")
        v.runs_on.setToolTip(why)

    # -- the context meter --------------------------------------------------------------------------

    def conversation_opened(self, conversation_id: int | None) -> None:
        """Measure the conversation now shown."""
        self.conversation_id = conversation_id
        self.recount()

    def recount(self) -> None:
        """Re-read the open conversation's size (after an answer, or when it changes)."""
        if self.conversation_id is None:
            self.used, self.exact = 0, False
        else:
            self.used, self.exact = estimate_tokens(self.store.messages(self.conversation_id),
                                                    self.settings.system_prompt)
        self.show_context()

    def answer_finished(self, finished: object) -> None:
        """After each answer: the engine's own count (prompt and answer tokens)."""
        usage = getattr(finished, "usage", None)
        if usage is not None and usage.prompt_tokens:
            self.used, self.exact = usage.prompt_tokens + usage.completion_tokens, True
            self.show_context()
        else:
            self.recount()

    def show_context(self) -> None:
        """``used / n_ctx`` tokens, with ``≈`` while it is an estimate."""
        total = self.info.n_ctx if self.info is not None and self.info.n_ctx else self.settings.context_size
        if self.conversation_id is None and not self.used:
            self.view.set_context(0, total, "")
            self.view.context_meter.setVisible(False)
            return
        used = f"{self.used:,}" if self.exact else "≈" + f"{self.used:,}"
        text = self.tr("%1 / %2 tokens").replace("%1", used).replace("%2", f"{total:,}")
        self.view.set_context(self.used, total, text)
        share = self.used / total if total else 0
        self.view.context_meter.setToolTip(self.tr("Context used: %1%").replace("%1", f"{share * 100:.0f}"))
        self.view.context_meter.setAccessibleName(self.tr("Context used"))
