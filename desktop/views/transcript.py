"""The scrolling list of messages, with an empty state and stick-to-bottom while answers grow."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from .message_view import MessageView

NEAR_TOP_PX = 300  # scrolled this close to the top: ask for earlier messages


class TranscriptView(QScrollArea):
    """Holds ``MessageView``s top to bottom; says when the user nears the top (for earlier messages)."""

    near_top = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transcript")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.flush_pending: Callable[[], None] = lambda: None  # the presenter's: views still owed
        self._content = QWidget()
        self.content = self._content
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
        self._top_asked = False
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

    def insert_messages(self, views: list[MessageView], at_top: bool) -> None:
        """Put made views at the bottom, or above the others without moving what the user is looking at."""
        if not views:
            return
        bar = self.verticalScrollBar()
        before_max, before_value = bar.maximum(), bar.value()
        index = 1 if at_top else self._layout.count() - 1  # after the empty label / before the stretch
        margins = self._layout.contentsMargins()
        width = self.viewport().width() - margins.left() - margins.right()
        for offset, view in enumerate(views):
            if at_top:
                view.prepare_width(width)
            self._layout.insertWidget(index + offset, view)
            view.show()  # now, not at Qt's next turn: their sizes count in the layout below
        self.empty_label.hide()
        if at_top:  # lay out now, so the scroll range grows now and the view can stay on the same message
            self._stick = False
            self._layout.activate()
            self._content.resize(self._content.width(), self._content.sizeHint().height())
            bar.setValue(before_value + bar.maximum() - before_max)
        else:
            self._stick = True

    def remove_message(self, view: MessageView) -> None:
        """Drop one message view."""
        self._layout.removeWidget(view)
        view.deleteLater()
        if not self.messages():
            self.empty_label.show()

    def messages(self) -> list[MessageView]:
        """Message views, top to bottom (views owed to a conversation just opened are made first)."""
        self.flush_pending()
        found = (self._layout.itemAt(i).widget() for i in range(self._layout.count()))
        return [w for w in found if isinstance(w, MessageView) and not w.property("dying")]

    def _remember_position(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._stick = value >= bar.maximum() - 24
        if value <= NEAR_TOP_PX and bar.maximum() > 0 and not self._top_asked:
            # Asked after this scroll step, not inside it: making views moves the bar again.
            self._top_asked = True
            QTimer.singleShot(0, self, self._ask_for_earlier)  # dropped if the view is gone

    def _ask_for_earlier(self) -> None:
        self._top_asked = False
        self.near_top.emit()

    def _follow(self, _min: int, maximum: int) -> None:
        if self._stick:
            self.verticalScrollBar().setValue(maximum)
