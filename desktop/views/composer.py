"""Where a message is written: text, a strip of image thumbnails, attach, send and stop."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

THUMB = 64


def local_files(mime: QMimeData) -> list[Path]:
    """The local files a drop or paste carries."""
    return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()] if mime.hasUrls() else []


def image_formats(mime: QMimeData) -> list[str]:
    """The image MIME types a paste or drop offers (``image/png``...)."""
    return [f for f in mime.formats() if f.startswith("image/")]


def pasted_image(mime: QMimeData, formats: list[str]) -> QImage | None:
    """The pixels a paste carries, or None when none of its image data decodes."""
    image = mime.imageData() if mime.hasImage() else None
    if isinstance(image, QImage) and not image.isNull():
        return image
    for fmt in formats:
        decoded = QImage.fromData(mime.data(fmt).data())
        if not decoded.isNull():
            return decoded
    return None


class ComposerEdit(QPlainTextEdit):
    """Enter sends, Shift+Enter breaks the line, Esc stops; pasted or dropped images are handed on."""

    submit = Signal()
    escape = Signal()
    image_pasted = Signal(QImage)
    image_unreadable = Signal(str)  # the pasted data's format: it claimed to be an image but does not decode
    files_given = Signal(list)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter → submit (Shift+Enter inserts a newline); Esc → stop."""
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
                event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
            self.submit.emit()
            return
        if key == Qt.Key.Key_Escape:
            self.escape.emit()
            return
        super().keyPressEvent(event)

    def canInsertFromMimeData(self, source: QMimeData) -> bool:
        """Images and files are acceptable too, not just text."""
        return (source.hasImage() or bool(image_formats(source)) or bool(local_files(source))
                or super().canInsertFromMimeData(source))

    def insertFromMimeData(self, source: QMimeData) -> None:
        """Files first (a copied file also carries its name as text), then image data, then text.

        Data that says it is an image but does not decode is reported (``image_unreadable``), never
        dropped without a word.
        """
        files = local_files(source)
        formats = image_formats(source)
        if files:
            self.files_given.emit(files)
        elif source.hasImage() or formats:
            image = pasted_image(source, formats)
            if image is None:
                self.image_unreadable.emit(formats[0] if formats else "image")
            else:
                self.image_pasted.emit(image)
        else:
            super().insertFromMimeData(source)


class ThumbnailChip(QFrame):
    """One pending image with its remove button."""

    remove_clicked = Signal()

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(0)
        self.picture = QLabel(self)
        self.picture.setFixedSize(THUMB, THUMB)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setAccessibleName(name)
        self.picture.setToolTip(name)
        self.remove_button = QToolButton(self)
        self.remove_button.setText("✕")
        self.remove_button.setAutoRaise(True)
        self.remove_button.clicked.connect(self.remove_clicked)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addStretch(1)
        top.addWidget(self.remove_button)
        layout.addLayout(top)
        layout.addWidget(self.picture)

    def set_image(self, image: QImage) -> None:
        """Show the (already scaled) thumbnail."""
        self.picture.setPixmap(QPixmap.fromImage(image))


class ComposerView(QFrame):
    """Layout only; ``ComposerController`` owns the pending images and decides what happens."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composer")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(4)
        edit_bar = QHBoxLayout()
        self.editing_label = QLabel(self)
        self.cancel_edit_button = QPushButton(self)
        edit_bar.addWidget(self.editing_label, 1)
        edit_bar.addWidget(self.cancel_edit_button)
        self.editing_bar = QWidget(self)
        self.editing_bar.setLayout(edit_bar)
        self.editing_bar.hide()
        layout.addWidget(self.editing_bar)
        self.strip = QWidget(self)
        self.strip_layout = QHBoxLayout(self.strip)
        self.strip_layout.setContentsMargins(0, 0, 0, 0)
        self.strip_layout.addStretch(1)
        self.strip.hide()
        layout.addWidget(self.strip)
        note = QHBoxLayout()
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #d64545;")
        self.error_label.hide()
        note.addWidget(self.error_label, 1)
        self.pages_button = QPushButton(self)  # beside the note of a PDF that was cut: choose which pages go
        self.pages_button.hide()
        note.addWidget(self.pages_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(note)
        row = QHBoxLayout()
        self.attach_button = QToolButton(self)
        self.attach_button.setText("+")
        self.attach_button.setStyleSheet("font-size: 16pt; font-weight: bold;")
        self.attach_button.setFixedSize(36, 36)
        self.attach_button.setIconSize(QSize(20, 20))
        self.attach_button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        row.addWidget(self.attach_button, 0, Qt.AlignmentFlag.AlignBottom)
        self.edit = ComposerEdit(self)
        self.edit.setTabChangesFocus(True)
        self.edit.setFixedHeight(72)
        row.addWidget(self.edit, 1)
        self.send_button = QPushButton(self)
        self.send_button.setDefault(False)
        self.stop_button = QPushButton(self)
        self.stop_button.hide()
        row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        row.addWidget(self.stop_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(row)

    def add_chip(self, name: str, index: int = -1) -> ThumbnailChip:
        """Insert a thumbnail chip into the strip (at the end by default)."""
        chip = ThumbnailChip(name, self.strip)
        end = self.strip_layout.count() - 1
        self.strip_layout.insertWidget(end if index < 0 else min(index, end), chip)
        self.strip.show()
        return chip

    def remove_chip(self, chip: ThumbnailChip) -> None:
        """Take a chip out of the strip."""
        self.strip_layout.removeWidget(chip)
        chip.deleteLater()
        if self.strip_layout.count() <= 1:
            self.strip.hide()

    def chips(self) -> list[ThumbnailChip]:
        """Chips in order."""
        found = (self.strip_layout.itemAt(i).widget() for i in range(self.strip_layout.count()))
        return [w for w in found if isinstance(w, ThumbnailChip)]

    def show_error(self, text: str) -> None:
        """An inline error under the strip; empty hides it."""
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def set_busy(self, busy: bool) -> None:
        """While an answer streams: Stop replaces Send."""
        self.send_button.setVisible(not busy)
        self.stop_button.setVisible(busy)
