"""The sidebar's logic: list, search, new, rename in place, delete with undo.

A deleted conversation is hidden at once and offered back for ``UNDO_MS``; then it is purged (off the UI thread):
its messages, the images only it used, and its words in the database file are gone. What a closed window still
held back is purged on quitting, and anything left (a crash) at the next start.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import QListWidgetItem, QMenu
from visiondesk.core.store import ConversationStore

from ..background import BackgroundJob
from ..views.main_window import NoticeBar
from ..views.sidebar import GROUP_ROLE, SidebarView

log = logging.getLogger(__name__)
ID_ROLE = Qt.ItemDataRole.UserRole
UNDO_MS = 10_000


def date_group(updated_at: float, now: datetime.datetime) -> str:
    """Which sidebar group a conversation last changed at ``updated_at`` belongs to (local time)."""
    day = datetime.datetime.fromtimestamp(updated_at).date()
    today = now.date()
    if day >= today:
        return "today"
    if day == today - datetime.timedelta(days=1):
        return "yesterday"
    if day >= today - datetime.timedelta(days=today.weekday()):  # since Monday
        return "week"
    return "older"


class ConversationsController(QObject):
    """Keeps the sidebar in step with the store; says which conversation to open."""

    open_requested = Signal(object)  # conversation id, or None for a new chat
    deleted = Signal(int)  # conversation id, after the switch away from it (if it was open) was asked for

    def __init__(self, store: ConversationStore, view: SidebarView, notice: NoticeBar,
                 forget_images: Callable[[Sequence[str]], object], parent: QObject | None = None) -> None:
        """``forget_images``: deletes what was derived from purged images (by pixel digest), outside the store."""
        super().__init__(parent)
        self.store, self.view, self.notice = store, view, notice
        self._forget_images = forget_images
        self.current: int | None = None
        self._deleted: int | None = None
        self._deleted_at = 0.0  # when the last deletion happened (the store's clock)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(150)
        self._search_timer.timeout.connect(self.refresh)
        self._undo_timer = QTimer(self)
        self._undo_timer.setSingleShot(True)
        self._undo_timer.timeout.connect(self._forget_undo)
        view.new_button.clicked.connect(self.new_chat)
        view.search.textChanged.connect(lambda _t: self._search_timer.start())
        view.list.currentItemChanged.connect(self._selected)
        view.list.itemChanged.connect(self._renamed)
        view.list.delete_pressed.connect(self.delete_current)
        view.list.customContextMenuRequested.connect(self._menu)
        notice.action_button.clicked.connect(self.undo_delete)

    def refresh(self, select: int | None = None) -> None:
        """Reload the list (filtered by the search text), keeping or changing the selection."""
        select = self.current if select is None else select
        search = self.view.search.text().strip() or None
        lst = self.view.list
        lst.blockSignals(True)
        lst.clear()
        names = {"today": self.tr("Today"), "yesterday": self.tr("Yesterday"),
                 "week": self.tr("Earlier this week"), "older": self.tr("Older")}
        now = datetime.datetime.now()
        group = ""
        for conv in self.store.list_conversations(search=search):
            item = QListWidgetItem(conv.title or self.tr("New chat"))
            g = date_group(conv.updated_at, now)
            if g != group:  # the first of its group carries the heading (drawn above it by the delegate)
                group = g
                item.setData(GROUP_ROLE, names[g])
            item.setData(ID_ROLE, conv.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            item.setToolTip(conv.title)
            lst.addItem(item)
            if conv.id == select:
                lst.setCurrentItem(item)
        lst.blockSignals(False)

    def select(self, conversation_id: int | None) -> None:
        """Open a conversation and highlight it."""
        self.current = conversation_id
        self.refresh(conversation_id)
        self.open_requested.emit(conversation_id)

    def on_created(self, conversation_id: int) -> None:
        """The chat controller made a conversation for a first message."""
        self.current = conversation_id
        self.refresh(conversation_id)

    def new_chat(self) -> None:
        """An empty chat; it is stored when its first message is sent (Ctrl+N)."""
        self.view.list.clearSelection()
        self.select(None)

    def _selected(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is None:
            return
        conv_id = int(item.data(ID_ROLE))
        if conv_id != self.current:
            self.current = conv_id
            self.open_requested.emit(conv_id)

    def _renamed(self, item: QListWidgetItem) -> None:
        title = item.text().strip()
        conv_id = int(item.data(ID_ROLE))
        if title:
            self.store.rename_conversation(conv_id, title)
        QTimer.singleShot(0, self.refresh)

    def rename(self, conversation_id: int, title: str) -> None:
        """Rename (also reachable by F2 on the list)."""
        self.store.rename_conversation(conversation_id, title)
        self.refresh()

    def delete_current(self) -> None:
        """Delete the selected conversation, with Undo in the notice bar."""
        item = self.view.list.currentItem()
        if item is not None:
            self.delete(int(item.data(ID_ROLE)))

    def delete(self, conversation_id: int) -> None:
        """Soft-delete; Undo restores it for ten seconds (its text: what the engine kept of it is gone at once)."""
        self._deleted_at = self.store.delete_conversation(conversation_id)
        self._deleted = conversation_id
        self.notice.label.setText(self.tr("Conversation deleted."))
        self.notice.action_button.setText(self.tr("Undo"))
        self.notice.action_button.setAccessibleName(self.tr("Undo delete"))
        self.notice.action_button.show()
        self.notice.show()
        self._undo_timer.start(UNDO_MS)
        if conversation_id == self.current:
            self.select(None)
        else:
            self.refresh()
        self.deleted.emit(conversation_id)

    def undo_delete(self) -> None:
        """Bring the last deleted conversation back."""
        if self._deleted is None:
            return
        self.store.restore_conversation(self._deleted)
        restored, self._deleted = self._deleted, None
        self.notice.hide()
        self.select(restored)

    def _forget_undo(self) -> None:
        self._deleted = None
        self.notice.hide()
        self.purge(self._deleted_at)

    def purge(self, deleted_up_to: float | None = None) -> None:
        """Remove for good, off the UI thread, the conversations deleted up to ``deleted_up_to`` (None: all)."""
        BackgroundJob(op=lambda: self.purge_now(deleted_up_to),
                      success=lambda n: log.info("%d deleted conversation(s) removed for good", n),
                      failure=lambda exc: log.warning("deleted conversations not purged yet: %s", exc)).start()

    def purge_now(self, deleted_up_to: float | None = None, spare_unsent: bool = True) -> int:
        """Remove for good the conversations deleted up to ``deleted_up_to``; how many.

        Their images go, and what was derived from those: their prepared pixels and their embeddings.
        """
        purged = self.store.purge_deleted(deleted_up_to, spare_unsent)
        if purged.digests:
            self._forget_images(purged.digests)
        return purged.conversations

    def close(self) -> None:
        """Stop the timers (the window is going away)."""
        self._undo_timer.stop()
        self._search_timer.stop()

    def _menu(self, pos: QPoint) -> None:
        item = self.view.list.itemAt(pos)
        if item is None:
            return
        menu = QMenu(self.view)
        menu.addAction(self.tr("Rename"), lambda: self.view.list.editItem(item))
        menu.addAction(self.tr("Delete"), lambda: self.delete(int(item.data(ID_ROLE))))
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.view.list.viewport().mapToGlobal(pos))
