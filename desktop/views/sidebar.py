"""The list of conversations: new, search, rename in place (F2), delete."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QListWidget, QPushButton, QVBoxLayout, QWidget


class ConversationList(QListWidget):
    """Delete asks to delete the selected conversation; F2 or a double click renames in place."""

    delete_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Delete key removes (with undo)."""
        if event.key() == Qt.Key.Key_Delete:
            self.delete_pressed.emit()
            return
        super().keyPressEvent(event)


class SidebarView(QWidget):
    """Layout only; ``ConversationsController`` fills and drives it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 8)
        self.new_button = QPushButton(self)
        layout.addWidget(self.new_button)
        self.search = QLineEdit(self)
        self.search.setClearButtonEnabled(True)
        layout.addWidget(self.search)
        self.list = ConversationList(self)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.setEditTriggers(QListWidget.EditTrigger.EditKeyPressed |
                                  QListWidget.EditTrigger.DoubleClicked)
        layout.addWidget(self.list, 1)
        self.setMinimumWidth(180)
