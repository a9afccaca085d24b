"""The list of conversations: new, search, rename in place (F2), delete."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QLineEdit,
    QListWidget,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from ..icons import icon

GROUP_ROLE = Qt.ItemDataRole.UserRole + 1  # a date heading ("Today") drawn above the first item of its group
Index = QModelIndex | QPersistentModelIndex


class GroupedDelegate(QStyledItemDelegate):
    """Draws an item's date heading above it.

    The heading belongs to the item's row, so the list's rows stay the conversations, one each.
    """

    def _heading_height(self, option: QStyleOptionViewItem) -> int:
        return option.fontMetrics.height() + 10

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        """Taller by the heading where there is one."""
        size = super().sizeHint(option, index)
        size.setHeight(max(size.height(), option.fontMetrics.height() + 8))
        if index.data(GROUP_ROLE):
            size.setHeight(size.height() + self._heading_height(option))
        return size

    def _split(self, option: QStyleOptionViewItem, index: Index) -> tuple[QRect, QRect]:
        top = self._heading_height(option) if index.data(GROUP_ROLE) else 0
        r = option.rect
        return QRect(r.x(), r.y(), r.width(), top), QRect(r.x(), r.y() + top, r.width(), r.height() - top)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        """The heading (small, bold, muted), then the item as usual below it."""
        heading, rest = self._split(option, index)
        if heading.height():
            painter.save()
            font = QFont(option.font)
            font.setBold(True)
            font.setPointSizeF(font.pointSizeF() * 0.85)
            painter.setFont(font)
            painter.setPen(option.palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(heading.adjusted(4, 4, -4, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             str(index.data(GROUP_ROLE)))
            painter.restore()
        item_option = QStyleOptionViewItem(option)
        item_option.rect = rest
        super().paint(painter, item_option, index)

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index: Index) -> None:
        """Rename in place over the title, not over the heading."""
        item_option = QStyleOptionViewItem(option)
        item_option.rect = self._split(option, index)[1]
        super().updateEditorGeometry(editor, item_option, index)


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
        self.refresh_icons()
        layout.addWidget(self.new_button)
        self.search = QLineEdit(self)
        self.search.setClearButtonEnabled(True)
        layout.addWidget(self.search)
        self.list = ConversationList(self)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.setEditTriggers(QListWidget.EditTrigger.EditKeyPressed |
                                  QListWidget.EditTrigger.DoubleClicked)
        self.list.setItemDelegate(GroupedDelegate(self.list))
        # Long titles (Chinese ones too) end in "…" at a character boundary; never a sideways scroll bar.
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setWordWrap(False)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout.addWidget(self.list, 1)
        self.setMinimumWidth(180)

    def refresh_icons(self) -> None:
        """Icons in the current palette's colours (again after a theme switch)."""
        self.new_button.setIcon(icon("new", self.palette().color(QPalette.ColorRole.ButtonText)))
