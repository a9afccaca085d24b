""""What the model sees": under the composer's thumbnails, each image as the projector receives it.

Layout only: a row of cards (the preview and a line of figures under it) and one line for the
prompt's context use. ``ImagePreviewController`` decides what is shown.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget


class SeenImageCard(QFrame):
    """One image: the picture the projector receives, and its token count."""

    def __init__(self, image: QImage, caption: str, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(2)
        self.picture = QLabel(self)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setPixmap(QPixmap.fromImage(image))
        self.picture.setToolTip(tooltip)
        self.caption = QLabel(caption, self)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setToolTip(tooltip)
        layout.addWidget(self.picture)
        layout.addWidget(self.caption)


class ImagePreviewView(QFrame):
    """The row of cards and the context line; hidden while there is nothing to show."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("imagePreview")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.title = QLabel(self)
        self.title.setStyleSheet("font-weight: bold;")
        layout.addWidget(self.title)
        self.row = QWidget(self)
        self.row_layout = QHBoxLayout(self.row)
        self.row_layout.setContentsMargins(0, 0, 0, 0)
        self.row_layout.addStretch(1)
        layout.addWidget(self.row)
        self.context_label = QLabel(self)
        self.context_label.setWordWrap(True)
        layout.addWidget(self.context_label)
        self.hide()

    def cards(self) -> list[SeenImageCard]:
        """The cards in order."""
        found = (self.row_layout.itemAt(i).widget() for i in range(self.row_layout.count()))
        return [w for w in found if isinstance(w, SeenImageCard)]

    def show_cards(self, title: str, cards: list[tuple[QImage, str, str]], context: str) -> None:
        """Replace the cards: (preview, caption, tooltip) each, then the context line."""
        self._clear_cards()
        for image, caption, tooltip in cards:
            self.row_layout.insertWidget(self.row_layout.count() - 1, SeenImageCard(image, caption, tooltip, self.row))
        self.title.setText(title)
        self.context_label.setText(context)
        self.setVisible(True)

    def show_note(self, title: str, text: str) -> None:
        """No cards, just a line (measuring..., or why it cannot be shown)."""
        self._clear_cards()
        self.title.setText(title)
        self.context_label.setText(text)
        self.setVisible(True)

    def set_context_line(self, text: str) -> None:
        """Only the line under the cards (the cards stay while they are measured again)."""
        self.context_label.setText(text)

    def clear(self) -> None:
        """Nothing to show."""
        self._clear_cards()
        self.hide()

    def _clear_cards(self) -> None:
        for card in self.cards():
            self.row_layout.removeWidget(card)
            card.deleteLater()
