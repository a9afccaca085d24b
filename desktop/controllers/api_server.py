"""The app's switch for the local API server: the same server as ``visiondesk serve``, over the window's model.

The API gets a ``SharedEngineBackend``: every request is answered on the window's engine thread, in
turn with the window's own questions, so the app keeps one backend used from one thread and one copy
of the model in memory. uvicorn runs in a background thread (``api.BackgroundServer``); starting and
stopping (which waits for open streams a few seconds) run off the UI thread.
"""

from __future__ import annotations

import logging
import secrets
import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QTableWidgetItem, QWidget
from visiondesk import api
from visiondesk.api import DEFAULT_HOST, DEFAULT_PORT, RequestLog, ServerConfig

from ..background import BackgroundJob
from ..shared_backend import SharedEngineBackend
from ..views.api_server_page import ApiServerPage
from ..worker import EngineThread

log = logging.getLogger(__name__)
LOG_REFRESH_MS = 500
LOG_ROWS = 100  # the newest requests shown


class ApiServerController(QObject):
    """Switches the API on and off and shows what it answered."""

    running_changed = Signal(bool)
    failed = Signal(str)

    def __init__(self, engine: EngineThread, parent_widget: QWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.backend = SharedEngineBackend(engine)
        self.request_log = RequestLog()
        self.parent_widget = parent_widget
        self.port = DEFAULT_PORT
        self.key = ""
        self.server: api.BackgroundServer | None = None
        self.page: ApiServerPage | None = None
        self._busy = False  # a start or stop is under way
        self._shown: object = None  # the newest log record the table shows
        self._timer = QTimer(self)
        self._timer.setInterval(LOG_REFRESH_MS)
        self._timer.timeout.connect(self.refresh_log)

    @property
    def running(self) -> bool:
        """Whether the server is serving."""
        return self.server is not None

    @property
    def base_url(self) -> str:
        """What OpenAI clients use as ``base_url``."""
        url: str = ServerConfig(port=self.port).base_url
        return url

    # -- switching -------------------------------------------------------------------------------

    def start(self, port: int, key: str = "") -> None:
        """Start serving on 127.0.0.1:``port``; answers with ``running_changed(True)`` or ``failed``."""
        if self._busy or self.server is not None:
            return
        config = ServerConfig(host=DEFAULT_HOST, port=port, api_key=key or None)
        try:
            app = api.create_app(self.backend, config, self.request_log)
        except ValueError as exc:  # a key too short, a bad port: config.check() says which
            self.failed.emit(str(exc))
            return
        self.port, self.key, self._busy = port, key, True
        server = api.BackgroundServer(app, DEFAULT_HOST, port)
        self._update_page()

        def started(_: object) -> None:
            self._busy, self.server = False, server
            self._update_page()
            self.running_changed.emit(True)

        def refused(exc: BaseException) -> None:
            self._busy = False
            why = (self.tr("Port %1 is in use by another program; choose another port.").replace("%1", str(port))
                   if isinstance(exc, OSError) else str(exc))
            log.warning("the API server did not start: %s", exc)
            self._update_page()
            self.failed.emit(why)

        BackgroundJob(op=server.start, success=started, failure=refused).start()

    def stop(self) -> None:
        """Stop serving (open requests are cancelled); answers with ``running_changed(False)``."""
        server = self.server
        if self._busy or server is None:
            return
        self._busy = True
        self.backend.close()  # running and queued requests end now; the window's model stays

        def stopped(_: object) -> None:
            self._busy, self.server = False, None
            self._update_page()
            self.running_changed.emit(False)

        BackgroundJob(op=server.stop, success=stopped, failure=stopped).start()

    def shutdown(self) -> None:
        """Stop at once, on this thread (the app is closing, before the engine thread stops)."""
        self._timer.stop()
        server, self.server = self.server, None
        if server is not None:
            self.backend.close()
            server.stop()

    # -- the page --------------------------------------------------------------------------------

    def open(self) -> ApiServerPage:
        """Show the dialog (non-blocking); returns it for tests."""
        if self.page is None:
            page = ApiServerPage(self.parent_widget)
            page.port.setValue(self.port)
            page.key.setText(self.key)
            page.enabled.toggled.connect(self._switched)
            page.generate_key.clicked.connect(lambda: page.key.setText(secrets.token_urlsafe(24)))
            page.copy_url.clicked.connect(self.copy_base_url)
            page.port.valueChanged.connect(lambda p: page.base_url.setText(ServerConfig(port=p).base_url))
            page.finished.connect(lambda _r: self._timer.stop())
            self.failed.connect(self._show_failure)
            self.page = page
        self._shown = None
        self._update_page()
        self.refresh_log()
        self._timer.start()
        self.page.show()
        self.page.raise_()
        return self.page

    def model_changed(self) -> None:
        """The window loaded another model: the page says which one is served now."""
        self._update_page()

    def _switched(self, on: bool) -> None:
        page = self.page
        assert page is not None
        if on and not self.running:
            self.start(page.port.value(), page.key.text().strip())
        elif not on and self.running:
            self.stop()

    def copy_base_url(self) -> None:
        """Put the base URL on the clipboard."""
        clipboard = QGuiApplication.clipboard()
        clipboard.setText(self.base_url)

    def _show_failure(self, message: str) -> None:
        if self.page is not None:
            self.page.status.setText(message)
            self._update_page(keep_status=True)

    def _update_page(self, keep_status: bool = False) -> None:
        page = self.page
        if page is None:
            return
        page.enabled.blockSignals(True)
        page.enabled.setChecked(self.running or self._busy and self.server is None)
        page.enabled.blockSignals(False)
        page.enabled.setEnabled(not self._busy)
        for field in (page.port, page.key, page.generate_key):
            field.setEnabled(not self.running and not self._busy)
        page.base_url.setText(self.base_url if self.running else ServerConfig(port=page.port.value()).base_url)
        if keep_status:
            return
        info = self.backend.info
        if self._busy:
            text = self.tr("Switching…")
        elif not self.running:
            text = self.tr("Off.")
        elif info is None:
            text = self.tr("On, but no model is loaded: requests are refused until one is.")
        else:
            text = self.tr("On: serving %1 at %2").replace("%1", info.model_name).replace("%2", self.base_url)
        page.status.setText(text)

    def refresh_log(self) -> None:
        """Show the newest requests first (only when something changed)."""
        page = self.page
        if page is None:
            return
        records = self.request_log.recent()
        newest_record = records[-1] if records else None
        if newest_record is self._shown and page.log.rowCount() == len(records[-LOG_ROWS:]):
            return
        self._shown = newest_record
        newest = list(reversed(records[-LOG_ROWS:]))
        page.log.setRowCount(len(newest))
        for row, r in enumerate(newest):
            cells = (time.strftime("%H:%M:%S", time.localtime(r.at)), r.client, str(r.status) if r.status else "–",
                     r.outcome + (f": {r.message}" if r.message else ""),
                     f"{r.prompt_tokens} + {r.completion_tokens}", f"{r.total_ms:.0f}")
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col in (2, 4, 5):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                page.log.setItem(row, col, item)
