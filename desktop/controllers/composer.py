"""The composer's logic: pending images (checked off the UI thread), paste, drop, edit mode, submit."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QObject, Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog
from visiondesk.engine import ImageSource, prepare_image

from ..background import BackgroundJob
from ..views.composer import THUMB, ComposerView, ThumbnailChip

log = logging.getLogger(__name__)
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif *.tif *.tiff);;All files (*)"


@dataclasses.dataclass
class PendingImage:
    """An image accepted by the engine's checks, waiting to be sent."""

    source: ImageSource
    thumbnail: QImage
    chip: ThumbnailChip | None = None
    order: int = 0  # images join the strip in the order they were given, not as checks finish

    @property
    def name(self) -> str:
        """Display name."""
        return self.source.path.name if self.source.path else (self.source.name or "image.png")


def check_image(source: ImageSource) -> PendingImage:
    """Runs on a pool thread: the engine's image checks plus a thumbnail (QImage, not QPixmap)."""
    prepared = prepare_image(source)
    w, h = prepared.width, prepared.height
    full = QImage(prepared.rgb, w, h, 3 * w, QImage.Format.Format_RGB888)
    thumb = full.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation)
    return PendingImage(source, thumb.copy())


def encode_png(image: QImage, name: str) -> ImageSource:
    """Runs on a pool thread: pasted pixels → PNG bytes the store and the engine accept."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return ImageSource(data=bytes(buffer.data().data()), name=name)


class ComposerController(QObject):
    """Turns what the user types, drops and pastes into one ``send_requested``."""

    send_requested = Signal(str, list, object)  # text, [ImageSource], message id being edited or None
    images_changed = Signal(list)  # the pending [ImageSource], after each add or removal
    stop_requested = Signal()

    def __init__(self, view: ComposerView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.pending: list[PendingImage] = []
        self.editing: int | None = None
        self.busy = False
        self._checking = 0
        self._paste_count = 0
        self._order = 0
        self._send_when_ready = False
        view.edit.submit.connect(self.submit)
        view.send_button.clicked.connect(self.submit)
        view.stop_button.clicked.connect(self.stop_requested)
        view.edit.escape.connect(self._escape)
        view.edit.image_pasted.connect(self.add_image)
        view.edit.files_given.connect(self.add_files)
        view.attach_button.clicked.connect(self.pick_files)
        view.cancel_edit_button.clicked.connect(self.cancel_edit)

    # -- images ----------------------------------------------------------------------------------

    def add_files(self, paths: list[Path]) -> None:
        """Check each file off the UI thread; usable ones join the strip, others show an error."""
        self.view.show_error("")
        for path in paths:
            self._check(ImageSource(path=Path(path)))

    def add_image(self, image: QImage) -> None:
        """Pasted or dropped pixels: encode to PNG off the UI thread, then check like a file."""
        self.view.show_error("")
        self._paste_count += 1
        name = f"pasted-{self._paste_count}.png"
        self._start_check(lambda: check_image(encode_png(image, name)))

    def _check(self, source: ImageSource) -> None:
        self._start_check(lambda: check_image(source))

    def _start_check(self, op: Callable[[], PendingImage]) -> None:
        self._checking += 1
        self._order += 1
        order = self._order
        BackgroundJob(op=op, success=lambda item: self._accepted(item, order),
                      failure=self._rejected).start()

    def _accepted(self, item: PendingImage, order: int) -> None:
        self._checking -= 1
        item.order = order
        index = sum(1 for p in self.pending if p.order < order)
        item.chip = self.view.add_chip(item.name, index)
        item.chip.set_image(item.thumbnail)
        item.chip.remove_button.setAccessibleName(self.tr("Remove %1").replace("%1", item.name))
        item.chip.remove_clicked.connect(lambda: self.remove(item))
        self.pending.insert(index, item)
        self.images_changed.emit([p.source for p in self.pending])
        self._maybe_send()

    def _rejected(self, exc: BaseException) -> None:
        self._checking -= 1
        log.info("image rejected: %s", exc)
        self.view.show_error(str(exc))
        self._send_when_ready = False

    def remove(self, item: PendingImage) -> None:
        """Drop one pending image."""
        if item in self.pending:
            self.pending.remove(item)
            if item.chip is not None:
                self.view.remove_chip(item.chip)
            self.images_changed.emit([p.source for p in self.pending])

    def pick_files(self) -> None:
        """The file picker (non-blocking)."""
        dialog = QFileDialog(self.view.window(), self.tr("Attach images"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter(IMAGE_FILTER)
        dialog.filesSelected.connect(lambda files: self.add_files([Path(f) for f in files]))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    @property
    def checking(self) -> int:
        """Images still being checked."""
        return self._checking

    # -- sending ---------------------------------------------------------------------------------

    def submit(self) -> None:
        """Enter or Send: hand the message on (after images still being checked)."""
        if self.busy:
            return
        if self._checking:
            self._send_when_ready = True
            return
        text = self.view.edit.toPlainText().strip()
        if not text and not self.pending:
            return
        sources = [p.source for p in self.pending]
        editing = self.editing
        self.clear()
        self.send_requested.emit(text, sources, editing)

    def _maybe_send(self) -> None:
        if self._send_when_ready and not self._checking:
            self._send_when_ready = False
            self.submit()

    def clear(self) -> None:
        """Empty the composer after a send."""
        self.view.edit.clear()
        for item in list(self.pending):
            self.remove(item)
        self.view.show_error("")
        self.editing = None
        self.view.editing_bar.hide()

    def set_busy(self, busy: bool) -> None:
        """An answer is being produced: Stop instead of Send."""
        self.busy = busy
        self.view.set_busy(busy)

    def _escape(self) -> None:
        if self.busy:
            self.stop_requested.emit()
        elif self.editing is not None:
            self.cancel_edit()

    # -- edit and resend -------------------------------------------------------------------------

    def begin_edit(self, message_id: int, text: str, images: list[Path]) -> None:
        """Put the last user message back into the composer; sending replaces it."""
        self.clear()
        self.editing = message_id
        self.view.edit.setPlainText(text)
        self.view.editing_bar.show()
        self.add_files(images)
        self.view.edit.setFocus()

    def cancel_edit(self) -> None:
        """Leave edit mode; nothing changes in the conversation."""
        self.clear()
