"""The scrolling list of messages, with an empty state and stick-to-bottom while answers grow.

Messages sit in containers of ``CHUNK`` views each. A view added, removed or resized re-lays out its own
container and the row of containers, never every message: with 500 messages, a view made above the others
while scrolling up costs a few milliseconds instead of ~20 (Qt lays a box layout out item by item, and
showing a child activates every layout above it).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QVBoxLayout, QWidget

from .message_view import MessageView

NEAR_TOP_PX = 300  # scrolled this close to the top: ask for earlier messages
CHUNK = 16  # message views per container (a re-layout costs ~CHUNK + messages / CHUNK items)


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
        for chunk in self._chunks():
            self._layout.removeWidget(chunk)
            chunk.hide()
            chunk.deleteLater()
        self.empty_label.show()
        self._stick = True

    def add_message(self, role: str) -> MessageView:
        """Append a message view at the bottom."""
        view = MessageView(role, self._content)
        self._chunk_for(at_top=False).layout().addWidget(view)
        self.empty_label.hide()
        self._stick = True
        return view

    def _chunks(self) -> list[QWidget]:
        # The outer layout holds the empty label, the containers, then the closing stretch.
        return [self._layout.itemAt(i).widget() for i in range(1, self._layout.count() - 1)]

    def _chunk_for(self, at_top: bool) -> QWidget:
        """The first (or last) container, or a new one there when it is full."""
        chunks = self._chunks()
        if chunks:
            edge = chunks[0] if at_top else chunks[-1]
            if edge.layout().count() < CHUNK:
                return edge
        chunk = QWidget(self._content)
        chunk.setObjectName("messageChunk")
        box = QVBoxLayout(chunk)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(self._layout.spacing())
        # Grows the container before laying out its messages: showing a new one must not squeeze the others
        # (each squeezed message would wrap its text again, and again when it gets its height back).
        box.setSizeConstraint(QVBoxLayout.SizeConstraint.SetMinimumSize)
        self._layout.insertWidget(1 if at_top else self._layout.count() - 1, chunk)
        chunk.show()
        return chunk

    def insert_messages(self, views: list[MessageView], at_top: bool) -> None:
        """Put made views at the bottom, or above the others without moving what the user is looking at."""
        if not views:
            return
        bar = self.verticalScrollBar()
        before_max, before_value = bar.maximum(), bar.value()
        margins = self._layout.contentsMargins()
        width = self.viewport().width() - margins.left() - margins.right()
        for view in reversed(views) if at_top else views:
            if at_top:
                view.prepare_width(width)
            box = self._chunk_for(at_top).layout()
            assert isinstance(box, QVBoxLayout)
            box.insertWidget(0 if at_top else box.count(), view)
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
        """Drop one message view (and its container when it was the last there)."""
        chunk = view.parentWidget()
        chunk.layout().removeWidget(view)
        view.deleteLater()
        if chunk.layout().count() == 0:
            self._layout.removeWidget(chunk)
            chunk.deleteLater()
        if not self._chunks():
            self.empty_label.show()

    def messages(self) -> list[MessageView]:
        """Message views, top to bottom (views owed to a conversation just opened are made first)."""
        self.flush_pending()
        boxes = [chunk.layout() for chunk in self._chunks()]
        found = (box.itemAt(i).widget() for box in boxes for i in range(box.count()))
        return [w for w in found if isinstance(w, MessageView)]

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
