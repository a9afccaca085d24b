"""The Servers page's logic: add, edit, remove and test servers; pick one of a server's models.

Tests run off the UI thread (``BackgroundJob``). Keys typed here go to the ``KeyStore`` (the system's
credential store) through the ``ServerStore``; the key field is never filled back in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QListWidgetItem, QWidget
from visiondesk.engine import VisionDeskError, remote
from visiondesk.engine.remote import ServerEntry, ServerStore, normalize_base_url, remote_host

if TYPE_CHECKING:
    from visiondesk.engine.remote import RemoteModel, ServerReport

from ..background import BackgroundJob
from ..error_text import error_text
from ..views.servers_dialog import ServersDialog

log = logging.getLogger(__name__)

ID_ROLE = Qt.ItemDataRole.UserRole


class ServersController(QObject):
    """Owns the Servers dialog (made on first use) and what it changes in the ``ServerStore``."""

    model_chosen = Signal(str, str)  # server id, model id
    tested = Signal(str, object)  # server id, ServerReport (after the page shows it)

    def __init__(self, store: ServerStore, parent_window: Callable[[], QWidget],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._parent_window = parent_window
        self.dialog: ServersDialog | None = None
        self.report: ServerReport | None = None

    def open(self) -> ServersDialog:
        """Show the Servers page (non-modal)."""
        if self.dialog is None:
            d = self.dialog = ServersDialog(self._parent_window())
            d.servers_list.currentItemChanged.connect(lambda *_: self._show_selected())
            d.new_button.clicked.connect(self.new_server)
            d.remove_button.clicked.connect(self.remove_selected)
            d.save_button.clicked.connect(self.save)
            d.test_button.clicked.connect(self.test)
            d.use_button.clicked.connect(self.use_selected_model)
            d.models_list.itemDoubleClicked.connect(lambda *_: self.use_selected_model())
        self._refresh()
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    @property
    def selected(self) -> ServerEntry | None:
        """The server chosen in the list, or None (a new one is being entered)."""
        item = self.dialog.servers_list.currentItem() if self.dialog else None
        server_id = item.data(ID_ROLE) if item is not None else None
        return next((e for e in self.store.list() if e.id == server_id), None)

    def _refresh(self, select: str | None = None) -> None:
        d = self.dialog
        assert d is not None
        d.servers_list.clear()
        for e in self.store.list():
            host = remote_host(e.base_url)
            where = self.tr("remote: %1").replace("%1", host) if host else self.tr("this computer")
            item = QListWidgetItem(f"{e.name} ({where})", d.servers_list)
            item.setData(ID_ROLE, e.id)
            if e.id == select:
                d.servers_list.setCurrentItem(item)
        notice = self.store.keys.notice
        d.key_notice.setText(notice or "")
        d.key_notice.setVisible(bool(notice))
        self._show_selected()

    def _show_selected(self) -> None:
        d = self.dialog
        assert d is not None
        e = self.selected
        d.name_edit.setText(e.name if e else "")
        d.url_edit.setText(e.base_url if e else "")
        d.key_edit.clear()
        d.ca_edit.setText((e.ca_bundle or "") if e else "")
        d.newest_image_only_check.setChecked(e.newest_image_only if e else False)
        d.key_edit.setPlaceholderText(self.tr("a key is kept; type a new one to replace it") if e and e.has_key
                                      else self.tr("optional; kept in the system's credential store"))
        d.remove_button.setEnabled(e is not None)
        d.test_button.setEnabled(e is not None)
        d.status_label.setText("")
        d.models_list.clear()
        d.use_button.setEnabled(False)
        self.report = None

    def new_server(self) -> None:
        """Clear the form for a new server."""
        assert self.dialog is not None
        self.dialog.servers_list.setCurrentItem(None)
        self._show_selected()
        self.dialog.url_edit.setFocus()

    def save(self) -> ServerEntry | None:
        """Add the server in the form, or save changes to the selected one (a bad address is said, not saved)."""
        d = self.dialog
        assert d is not None
        name, url, key = d.name_edit.text().strip(), d.url_edit.text().strip(), d.key_edit.text().strip()
        ca = d.ca_edit.text().strip()
        if ca and not Path(ca).expanduser().is_file():
            d.status_label.setText(self.tr("The CA bundle %1 is not a file.").replace("%1", ca))
            return None
        options = {"ca_bundle": str(Path(ca).expanduser()) if ca else None,
                   "newest_image_only": d.newest_image_only_check.isChecked()}
        e = self.selected
        try:
            if e is None:
                e = self.store.add(url, name=name, api_key=key or None, **options)
            else:
                moved = {"base_url": url} if normalize_base_url(url) != e.base_url else {}  # a new address asks again
                e = self.store.update(e.id, api_key=key or None, name=name or e.name, **moved, **options)
        except VisionDeskError as exc:
            d.status_label.setText(error_text(exc))
            return None
        self._refresh(select=e.id)
        d.status_label.setText(self.tr("Saved. Test it to see its models."))
        return e

    def remove_selected(self) -> None:
        """Remove the selected server and forget its key."""
        e = self.selected
        if e is not None:
            self.store.remove(e.id)
            self._refresh()

    def test(self) -> None:
        """Ask the selected server (off the UI thread): reachable, which models, which see images."""
        d, e = self.dialog, self.selected
        if d is None or e is None:
            return
        d.status_label.setText(self.tr("Testing %1…").replace("%1", e.base_url))
        d.test_button.setEnabled(False)
        keys, typed = self.store.keys, d.key_edit.text().strip() or None  # a key typed, not saved yet, is tried
        BackgroundJob(op=lambda: remote.test_server(e, keys, api_key=typed), success=lambda r: self._tested(e.id, r),
                      failure=self._test_failed).start()

    def _tested(self, server_id: str, report: ServerReport) -> None:
        d = self.dialog
        assert d is not None
        d.test_button.setEnabled(self.selected is not None)
        self.report = report
        d.models_list.clear()
        if report.error is not None:
            d.status_label.setText(error_text(report.error))
        else:
            where = (self.tr("remote: %1").replace("%1", report.remote_host) if report.remote_host
                     else self.tr("on this computer"))
            d.status_label.setText(self.tr("Reachable: %1, %2 model(s), %3").replace("%1", str(report.kind))
                                   .replace("%2", str(len(report.models))).replace("%3", where))
            for m in report.models:
                item = QListWidgetItem(self.model_text(m, report.remote_host), d.models_list)
                item.setData(ID_ROLE, m.id)
            if report.models:
                d.models_list.setCurrentRow(0)
        d.use_button.setEnabled(bool(report.models))
        self.tested.emit(server_id, report)

    def _test_failed(self, exc: BaseException) -> None:
        log.warning("server test failed: %s", exc)
        if self.dialog is not None:
            self.dialog.test_button.setEnabled(True)
            self.dialog.status_label.setText(error_text(exc))

    def model_text(self, model: RemoteModel, host: str | None) -> str:
        """How a server's model is listed: its name, whether it sees images, and that it is remote."""
        vision = {True: self.tr("sees images"), False: self.tr("text only"),
                  None: self.tr("vision unknown until an image is tried")}[model.vision]
        where = self.tr("remote: %1").replace("%1", host) if host else self.tr("server on this computer")
        return f"{model.id} — {vision} — {where}"

    def use_selected_model(self) -> None:
        """Switch the chat to the chosen model of the selected server."""
        d, e = self.dialog, self.selected
        item = d.models_list.currentItem() if d else None
        if e is None or item is None:
            return
        self.model_chosen.emit(e.id, str(item.data(ID_ROLE)))

    def retranslate(self) -> None:
        """Re-list the servers in the current language."""
        if self.dialog is not None:
            self._refresh(select=self.selected.id if self.selected else None)
