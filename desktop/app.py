"""``visiondesk`` with no subcommand: the Qt application around one ``AppShell``."""

from __future__ import annotations

import logging
import signal
import sys

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication
from visiondesk.core.logging_setup import setup_logging
from visiondesk.core.paths import DataPaths

log = logging.getLogger(__name__)
_qt_log = logging.getLogger("qt")
_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def qt_message_handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's own warnings go to our log file, not to a console nobody sees."""
    where = f" ({context.file}:{context.line})" if context.file else ""
    _qt_log.log(_LEVELS.get(kind, logging.WARNING), "%s%s", message, where)


def make_application(qt_args: list[str]) -> QApplication:
    """The QApplication (or the existing one), named so settings and dialogs look right."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(["visiondesk", *qt_args])
    app.setApplicationName("VisionDesk")
    app.setOrganizationName("VisionDesk")
    app.setApplicationDisplayName("VisionDesk")
    return app


def run_app(qt_args: list[str]) -> int:
    """Start the desktop app; returns the exit code."""
    paths = DataPaths.default().create()
    setup_logging(paths.logs)
    qInstallMessageHandler(qt_message_handler)
    app = make_application(qt_args)
    from .shell import AppShell  # after the QApplication exists

    shell = AppShell(paths.root)
    shell.window.show()
    # Ctrl+C in a terminal: close like the window's close button (clean engine shutdown).
    signal.signal(signal.SIGINT, lambda *_: shell.window.close())
    log.info("VisionDesk started (Python %s)", sys.version.split()[0])
    code = app.exec()
    shell.shutdown()
    return int(code)
