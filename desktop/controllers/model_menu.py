"""The Model menu: one picker for the installed (local) models and the models of the user's servers.

Server models are marked as remote (with the host) or as on this computer, and say whether they see
images. Their lists come from testing each server off the UI thread when the menu opens (and from the
Servers page's tests), so the menu never waits for a network.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMenu
from visiondesk.core.model_binding import ServerModel
from visiondesk.engine import remote
from visiondesk.engine.remote import ServerEntry, ServerStore
from visiondesk.models.registry import InstalledModel

from ..background import BackgroundJob
from ..error_text import error_text

if TYPE_CHECKING:
    from visiondesk.engine.remote import RemoteModel, ServerReport

log = logging.getLogger(__name__)


class ModelMenuController(QObject):
    """Fills ``menu`` with every model the user can pick; picking one switches the chat to it."""

    rebuilt = Signal()  # after the menu's entries changed (tests wait for it)

    def __init__(self, menu: QMenu, installed: Callable[[], list[InstalledModel]], servers: ServerStore,
                 use_local: Callable[[Path, Path | None], None], use_remote: Callable[[str, str], None],
                 current_remote: Callable[[], ServerModel | None], describe: Callable[[RemoteModel, str | None], str],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.menu, self.servers = menu, servers
        self._installed, self._use_local, self._use_remote = installed, use_local, use_remote
        self._current_remote, self._describe = current_remote, describe
        self.reports: dict[str, ServerReport] = {}  # server id -> its last test
        self._testing: set[str] = set()
        self._local: list[InstalledModel] = []
        menu.aboutToShow.connect(self.refresh)

    def refresh(self) -> None:
        """List what is known now, and ask the servers (and the registry) for the rest in the background."""
        self.rebuild()
        BackgroundJob(op=self._installed, success=self._got_installed, failure=self._installed_failed).start()
        for entry in self.servers.list():
            if entry.id not in self._testing:
                self._testing.add(entry.id)
                self._test(entry)

    def _test(self, entry: ServerEntry) -> None:
        keys = self.servers.keys
        BackgroundJob(op=lambda: remote.test_server(entry, keys), success=lambda r: self.remember(entry.id, r),
                      failure=lambda exc: self._test_failed(entry.id, exc)).start()

    def remember(self, server_id: str, report: ServerReport) -> None:
        """Keep a server's latest test (from here or from the Servers page) and list its models."""
        self._testing.discard(server_id)
        self.reports[server_id] = report
        self.rebuild()

    def _test_failed(self, server_id: str, exc: BaseException) -> None:
        self._testing.discard(server_id)
        log.warning("testing a server for the model menu failed: %s", exc)

    def _got_installed(self, models: list[InstalledModel]) -> None:
        self._local = models
        self.rebuild()

    def _installed_failed(self, exc: BaseException) -> None:
        log.warning("the installed models could not be listed: %s", exc)

    def rebuild(self) -> None:
        """The menu's entries from what is known now."""
        self.menu.clear()
        for m in self._local:
            action = self.menu.addAction(m.name)
            action.triggered.connect(lambda _=False, m=m: self._use_local(
                m.model.path, m.mmproj.path if m.mmproj else None))
        current = self._current_remote()
        for entry in self.servers.list():
            report = self.reports.get(entry.id)
            if report is None:
                continue
            self.menu.addSection(entry.name)
            if report.error is not None:
                self.menu.addAction(error_text(report.error)).setEnabled(False)
            for model in report.models:
                action = self.menu.addAction(self._describe(model, report.remote_host))
                action.setCheckable(True)
                action.setChecked(current == ServerModel(entry.id, model.id))
                action.triggered.connect(lambda _=False, s=entry.id, n=model.id: self._use_remote(s, n))
        if self.menu.isEmpty():
            self.menu.addAction(self.tr("No models yet: get one, open GGUF files, or add a server")).setEnabled(False)
        self.rebuilt.emit()

    def entries(self) -> list[str]:
        """The texts of the menu's entries, sections included."""
        return [a.text() for a in self.menu.actions() if a.text()]
