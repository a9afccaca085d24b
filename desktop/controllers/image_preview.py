"""Keeps "what the model sees" current: the composer's images planned on the loaded model.

Asks the engine thread for a plan (``EngineThread.plan``: libmtmd tokenizes the images, nothing is
evaluated) whenever the pending images, the conversation or the model (hence the image budget)
change; only the answer to the latest request is shown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Slot
from PySide6.QtGui import QImage
from visiondesk.engine import ImageAttachment, ImageSource, Message, VisionDeskError
from visiondesk.engine.image_plan import ImagePlan, PromptPlan

from ..views.image_preview import ImagePreviewView
from ..worker import EngineThread

log = logging.getLogger(__name__)
TYPING_PAUSE_MS = 400  # the text counts too: plan again once typing pauses, not at every key


def preview_image(plan: ImagePlan) -> QImage:
    """The plan's preview pixels as a QImage (a copy: the bytes need not outlive it)."""
    w, h = plan.preview_size
    return QImage(plan.preview, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class ImagePreviewController(QObject):
    """Feeds ``ImagePreviewView`` from the engine's plans."""

    def __init__(self, view: ImagePreviewView, engine: EngineThread, history: Callable[[], list[Message]],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self._engine = engine
        self._history = history
        self._sources: list[ImageSource | ImageAttachment] = []
        self._text = ""
        self._latest = 0
        self.plan: PromptPlan | None = None  # the plan on show
        self.model_loaded = False
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_PAUSE_MS)
        self._typing.timeout.connect(self.refresh)
        engine.worker.planned.connect(self._on_planned, Qt.ConnectionType.QueuedConnection)
        engine.worker.loaded.connect(self._on_loaded, Qt.ConnectionType.QueuedConnection)

    def set_images(self, sources: list[ImageSource | ImageAttachment], text: str = "") -> None:
        """The composer's images (and text) changed: plan them again, or hide the view."""
        self._sources, self._text = list(sources), text
        self.refresh()

    def set_text(self, text: str) -> None:
        """The message text changed: plan again after a pause in typing (only while images are pending)."""
        if text != self._text:
            self._text = text
            if self._sources:
                self._typing.start()

    def refresh(self) -> None:
        """Plan the current images on the loaded model (the conversation so far included)."""
        self._typing.stop()
        if not self._sources:
            self._latest = 0
            self.plan = None
            self.view.clear()
            return
        if not self.model_loaded:
            self.view.show_note(self.tr("What the model sees"),
                                self.tr("Load a model to see how it reads these images."))
            return
        messages = [*self._history(), Message.user(self._text, *self._sources)]
        self._latest = self._engine.plan(messages)
        if self.view.cards() and self.view.isVisible():
            self.view.set_context_line(self.tr("Measuring…"))  # no flicker while typing
        else:
            self.view.show_note(self.tr("What the model sees"), self.tr("Measuring…"))

    def pending_images(self) -> tuple[ImagePlan, ...]:
        """The plans of the composer's images (the plan also holds the conversation's earlier ones)."""
        if self.plan is None or not self._sources:
            return ()
        return self.plan.images[-len(self._sources):]

    @Slot(object)
    def _on_loaded(self, _result: object) -> None:
        self.model_loaded = True
        self.refresh()  # another model, or another image budget: other tokens

    @Slot(int, object)
    def _on_planned(self, request_id: int, result: object) -> None:
        if request_id != self._latest:
            return  # an answer to a question no longer asked
        if isinstance(result, VisionDeskError):
            log.info("no plan for the pending images: %s", result)
            self.plan = None
            self.view.show_note(self.tr("What the model sees"), str(result))
            return
        assert isinstance(result, PromptPlan)
        self.plan = result
        cards = []
        for image in self.pending_images():
            caption = self.tr("%1 tokens").replace("%1", f"{image.n_tokens:,}")
            w, h = image.input_size
            how = (self.tr("overview %1 + %2 tiles").replace("%1", f"{w}×{h}").replace("%2", str(image.n_slices))
                   if image.n_slices else self.tr("read as %1").replace("%1", f"{w}×{h}"))
            cards.append((preview_image(image), f"{caption}\n{how}", image.describe()))
        context = (self.tr("With this message the conversation takes %1 of %2 tokens (%3).")
                   .replace("%1", f"{result.prompt_tokens:,}").replace("%2", f"{result.n_ctx:,}")
                   .replace("%3", f"{result.context_share:.0%}"))
        self.view.show_cards(self.tr("What the model sees"), cards, context)
