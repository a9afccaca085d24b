"""The scrolling list of messages, with an empty state and stick-to-bottom while answers grow."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from .message_view import MessageView


class TranscriptView(QScrollArea):
    """Holds ``MessageView``s top to bottom."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transcript")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._content = QWidget()
        self._layout = QVBoxLayout(self._content)
        self._layout.setContentsMargins(16, 12, 16, 12)
        self._layout.setSpacing(10)
        self.empty_label = QLabel(self._content)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet("color: palette(placeholder-text); font-size: large;")
        self._layout.addWidget(self.empty_label, 1)
        self._layout.addStretch(0)
        self.setWidget(self._content)
        self._stick = True
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._remember_position)
        bar.rangeChanged.connect(self._follow)

    def clear(self) -> None:
        """Remove every message."""
        for view in self.messages():
            self._layout.removeWidget(view)
            view.deleteLater()
        self.empty_label.show()
        self._stick = True

    def add_message(self, role: str) -> MessageView:
        """Append a message view at the bottom."""
        view = MessageView(role, self._content)
        self._layout.insertWidget(self._layout.count() - 1, view)
        self.empty_label.hide()
        self._stick = True
        return view

    def remove_message(self, view: MessageView) -> None:
        """Drop one message view."""
        self._layout.removeWidget(view)
        view.deleteLater()
        if not self.messages():
            self.empty_label.show()

    def messages(self) -> list[MessageView]:
        """Message views, top to bottom."""
        found = (self._layout.itemAt(i).widget() for i in range(self._layout.count()))
        return [w for w in found if isinstance(w, MessageView) and not w.property("dying")]

    def _remember_position(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._stick = value >= bar.maximum() - 24

    def _follow(self, _min: int, maximum: int) -> None:
        if self._stick:
            self.verticalScrollBar().setValue(maximum)
