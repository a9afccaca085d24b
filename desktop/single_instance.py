"""One window per data folder: a second start hands its images to the window already open and ends.

Two windows on one data folder would each purge deleted conversations under the other one's feet (images its
composer still holds) and answer from two engines at once. So the first window holds ``DataPaths.window_lock``
(a kernel lock: it goes with the process, even after a crash) and listens on a local socket. A second start
(the icon clicked again, "Open With VisionDesk" in a file manager) finds the lock taken, sends its image paths
to that socket and ends; the first window comes to the front with them in its composer. A window that is
closing takes nothing more: a start meanwhile waits for the lock and becomes the window itself.

The socket's name is random, made by the window when it listens and written to ``DataPaths.window_address``
(in the user's own data folder, readable by the user only): another local user can neither guess it and take
it first, nor connect (``UserAccessOption``), and a second start finds it whatever its environment (``TMPDIR``,
the user name). The message is one JSON line, ``{"open": ["/abs/path", ...]}``, answered with ``ok``; paths only,
never file contents.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from visiondesk.core.store_files import write_atomically
from visiondesk.models.file_lock import FileLock

log = logging.getLogger(__name__)

WAIT_S = 45.0  # how long a second start tries: the first window may be building itself, or closing (<= ~30 s)
MAX_MESSAGE = 1 << 20  # bytes; paths only
SILENT_MS = 10_000  # a connection that sends no whole message in this time is dropped


class FirstWindow(QObject):
    """The lock and the socket of the window that owns a data folder.

    ``listen`` once the window is built (a second start meanwhile keeps trying); ``close`` when it is gone.
    """

    def __init__(self, lock: FileLock, address_file: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = lock
        self._address_file = address_file
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._buffers: dict[int, bytes] = {}
        self._ids = itertools.count()
        self._take: Callable[[list[Path]], bool] = lambda _files: False

    def listen(self, take: Callable[[list[Path]], bool]) -> None:
        """Give each second start's files (perhaps none: bring the window up) to ``take`` from now on.

        ``take`` says whether the window took them: False (it is closing) sends no answer, so that start
        waits for the lock and becomes the window itself.
        """
        self._take = take
        if not self._server.listen(f"visiondesk-{secrets.token_hex(16)}"):
            log.warning("a second start cannot reach this window: %s", self._server.errorString())
            return
        try:  # readable by the user only (write_atomically's temporary file is made so)
            write_atomically(self._address_file, self._server.fullServerName().encode())
        except OSError as exc:
            log.warning("a second start cannot reach this window: its address was not written (%s)", exc)

    def close(self) -> None:
        """Stop listening and give the lock up (the window is gone)."""
        self._server.close()
        self._address_file.unlink(missing_ok=True)
        self._lock.release()

    def _accept(self) -> None:
        while (sock := self._server.nextPendingConnection()) is not None:
            key = next(self._ids)
            self._buffers[key] = b""
            sock.readyRead.connect(lambda s=sock, k=key: self._read(s, k))
            sock.disconnected.connect(sock.deleteLater)
            sock.destroyed.connect(lambda _o=None, k=key: self._buffers.pop(k, None))
            QTimer.singleShot(SILENT_MS, sock, sock.abort)
            self._read(sock, key)

    def _read(self, sock: QLocalSocket, key: int) -> None:
        if key not in self._buffers:
            return
        data = self._buffers[key] + bytes(sock.readAll().data())
        if b"\n" not in data:
            self._buffers[key] = data
            if len(data) > MAX_MESSAGE:
                log.warning("a second start sent more than %d bytes without an end; dropped", MAX_MESSAGE)
                sock.abort()
            return
        del self._buffers[key]
        files = _parse(data.split(b"\n", 1)[0])
        if files is not None and not self._take(files):
            sock.abort()  # closing: that start tries the lock again
            return
        sock.write(b"ok\n" if files is not None else b"bad\n")
        sock.flush()
        sock.disconnectFromServer()
        if files is not None:
            log.info("a second start handed over %d file(s)", len(files))


def _parse(line: bytes) -> list[Path] | None:
    try:
        message = json.loads(line)
    except ValueError:
        message = None
    paths = message.get("open") if isinstance(message, dict) else None
    if not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
        log.warning("a second start sent a message this window cannot read; ignored")
        return None
    return [Path(p) for p in paths]


def claim(lock_path: Path, address_file: Path) -> FirstWindow | None:
    """A ``FirstWindow`` for this start when no window holds the folder; None when one does."""
    lock = FileLock(lock_path)
    if not lock.acquire():
        return None
    return FirstWindow(lock, address_file)


def start(lock_path: Path, address_file: Path, files: list[Path], wait_s: float = WAIT_S) -> FirstWindow | bool:
    """A ``FirstWindow`` when this start owns the folder (at once, or once a closing window has gone).

    Else True when the window open on it took ``files``, False when none answered within ``wait_s``.
    """
    message = json.dumps({"open": [str(Path(f).resolve()) for f in files]}).encode() + b"\n"
    deadline = time.monotonic() + wait_s
    while True:
        first = claim(lock_path, address_file)
        if first is not None:
            return first
        answer = _send(address_file, message, deadline)
        if answer is not None:
            return answer
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.2)  # not listening: that window is still starting, or closing


def _send(address_file: Path, message: bytes, deadline: float) -> bool | None:
    """Whether the window took ``message``; None when it was not listening or went away without an answer."""
    try:
        address = address_file.read_text().strip()
    except OSError:
        return None
    sock = QLocalSocket()
    sock.connectToServer(address)
    if not sock.waitForConnected(1000):
        sock.abort()
        return None
    _allow_foreground()
    sock.write(message)
    sock.waitForBytesWritten(1000)
    answer = b""
    while b"\n" not in answer and time.monotonic() < deadline:
        if sock.bytesAvailable() or sock.waitForReadyRead(500):
            answer += bytes(sock.readAll().data())
        elif sock.state() != QLocalSocket.LocalSocketState.ConnectedState:
            sock.abort()
            return None  # it closed without answering (it was closing): try the lock again
    sock.abort()
    return answer.startswith(b"ok") if b"\n" in answer else False


def _allow_foreground() -> None:
    """On Windows only the process in front may bring a window to the front: let the first window do so."""
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import ctypes

        ctypes.windll.user32.AllowSetForegroundWindow(-1)  # ASFW_ANY
