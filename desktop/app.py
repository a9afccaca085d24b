"""``visiondesk`` with no subcommand: the Qt application around one ``AppShell``."""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QEvent,
    QMessageLogContext,
    QObject,
    QSocketNotifier,
    Qt,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from visiondesk.core.logging_setup import setup_logging
from visiondesk.core.paths import DataPaths

from .single_instance import WAIT_S, FirstWindow, start
from .startup_checks import error_dialog, platform_problem

if TYPE_CHECKING:
    from .shell import AppShell

log = logging.getLogger(__name__)
MACOS = sys.platform == "darwin"  # where Finder sends files to open as events, not arguments
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
    if kind in (QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):  # Qt is about to give up: say why, here too
        sys.stderr.write(f"VisionDesk (Qt): {message}\n")
        sys.stderr.flush()
    if kind == QtMsgType.QtFatalMsg:  # Qt would abort() next ("Aborted", a core dump): end with the reason
        text = f"VisionDesk cannot continue: {message}"
        _qt_log.critical(text)
        logging.shutdown()
        error_dialog(text)
        os._exit(1)


class SignalWaker(QObject):
    """Lets Python's signal handlers run while Qt's event loop waits.

    Python runs a handler only when the interpreter next gets control, which an idle Qt loop may not give it
    for ever (Ctrl+C would do nothing). The signal's wake-up byte, written to a socket Qt watches, does.
    """

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._read, self._write = socket.socketpair()
        for end in (self._read, self._write):
            end.setblocking(False)
        self._previous = signal.set_wakeup_fd(self._write.fileno())
        self._notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)

    def _drain(self) -> None:
        try:
            self._read.recv(512)  # the handler itself runs as this Python code returns
        except OSError:
            pass

    def close(self) -> None:
        """Stop watching; the wake-up descriptor goes back to what it was."""
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(self._previous)
        self._read.close()
        self._write.close()


def make_application(qt_args: list[str]) -> QApplication:
    """The QApplication (or the existing one), named so settings and dialogs look right."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(["visiondesk", *qt_args])
    app.setApplicationName("VisionDesk")
    app.setOrganizationName("VisionDesk")
    app.setApplicationDisplayName("VisionDesk")
    return app


def startup_failed(message: str) -> None:
    """A start-up error on the terminal (always) and in the log (once there is one)."""
    if logging.getLogger().handlers:
        log.error("start-up failed: %s", message)
    sys.stderr.write(message.rstrip() + "\n")
    sys.stderr.flush()


def open_main_window(data_dir: Path, error_closed: Callable[[], None] | None = None) -> AppShell | None:
    """The window on ``data_dir``, or None when it cannot be built.

    Then the reason goes to the terminal and to a dialog; closing the dialog calls ``error_closed``.
    """
    from .shell import AppShell  # after the QApplication exists

    try:
        shell = AppShell(data_dir)
    except Exception as exc:
        log.exception("the main window could not be built")
        text = QApplication.translate("StartupError", "VisionDesk could not start: %1").replace(
            "%1", f"{exc}")
        startup_failed(text)
        box = QMessageBox(QMessageBox.Icon.Critical, "VisionDesk", text, QMessageBox.StandardButton.Close)
        box.setObjectName("startupError")
        box.setInformativeText(QApplication.translate(
            "StartupError", "The log file in %1 has the details.").replace("%1", str(data_dir / "logs")))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if error_closed is not None:
            box.finished.connect(lambda _r: error_closed())
        box.open()
        return None
    shell.window.show()
    return shell


def run_app(qt_args: list[str], images: list[Path] | None = None) -> int:
    """Start the desktop app, with ``images`` in the composer; returns the exit code.

    1 with the reason on the terminal (and in a dialog where one can open) when it cannot start.
    """
    problem = platform_problem()
    if problem is not None:
        startup_failed(problem)
        error_dialog(problem)  # where there is a display Qt cannot use (a menu start has no terminal)
        return 1
    try:
        paths = DataPaths.default().create()
        setup_logging(paths.logs)
    except OSError as exc:
        startup_failed(f"VisionDesk could not create its data folder: {exc}")
        return 1
    qInstallMessageHandler(qt_message_handler)
    app = make_application(qt_args)
    first = start_or_hand_over(paths, images or [])
    if not isinstance(first, FirstWindow):  # a window open on this folder took the images, or did not answer
        return first
    shell = open_main_window(paths.root, error_closed=app.quit)
    if shell is None:
        app.exec()  # until the error dialog is closed
        first.close()
        return 1
    waker = SignalWaker(app)
    # Ctrl+C, or the session ending: close like the close button, from the event loop (a signal that comes before
    # the loop runs would otherwise close the window first, and the loop would then wait for ever)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: QTimer.singleShot(0, shell.window.close))
    if images:  # "Open With VisionDesk" in a file manager
        shell.composer.add_files([p.resolve() for p in images])
    take_files_from_outside(first, shell)
    log.info("VisionDesk started (Python %s)", sys.version.split()[0])
    code = app.exec()
    waker.close()
    shell.shutdown()
    first.close()
    return int(code)


class FileOpenFilter(QObject):
    """macOS: Finder's Open With, or a file dropped on the Dock icon, comes as a FileOpen event, not an argument."""

    def __init__(self, shell: AppShell, parent: QObject) -> None:
        super().__init__(parent)
        self._shell = shell

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """The file into the composer, the window to the front."""
        if event.type() != QEvent.Type.FileOpen or not isinstance(event, QFileOpenEvent):
            return False
        path = event.file() or event.url().toLocalFile()
        return bool(path) and _bring_up(self._shell, [Path(path)])  # a closed window takes nothing


def take_files_from_outside(first: FirstWindow, shell: AppShell, file_open_events: bool = MACOS) -> None:
    """From now on files from outside bring ``shell``'s window up, with the images in its composer.

    A second start on this folder hands its over; on macOS the system sends them as FileOpen events
    (``file_open_events``: only there is every event of the app worth a look by a Python filter).
    """
    first.listen(lambda files: _bring_up(shell, files))
    app = QApplication.instance()
    if file_open_events and app is not None:
        app.installEventFilter(FileOpenFilter(shell, shell))


def _bring_up(shell: AppShell, files: list[Path]) -> bool:
    """False when the window is closing (nothing taken)."""
    if shell.closed:
        return False
    window = shell.window
    window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    window.show()
    window.raise_()
    window.activateWindow()
    if files:
        shell.composer.add_files(files)
    return True


def start_or_hand_over(paths: DataPaths, images: list[Path], wait_s: float = WAIT_S) -> FirstWindow | int:
    """A ``FirstWindow`` when this start is to be the window on ``paths``; else its exit code.

    0 when the window already open took ``images``, 1 with the reason when none answered.
    """
    outcome = start(paths.window_lock, paths.window_address, images, wait_s)
    if isinstance(outcome, FirstWindow):
        return outcome
    if outcome:
        log.info("a window is already open on %s: handed it %d file(s)", paths.root, len(images))
        return 0
    text = QApplication.translate(
        "StartupError", "VisionDesk is already open on this data folder (%1) but does not answer. Close that "
        "window, or end its process, then start VisionDesk again.").replace("%1", str(paths.root))
    startup_failed(text)
    box = QMessageBox(QMessageBox.Icon.Warning, "VisionDesk", text, QMessageBox.StandardButton.Close)
    box.setObjectName("startupError")
    box.exec()
    return 1
