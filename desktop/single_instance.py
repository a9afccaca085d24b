"""One window per data folder: a second start hands its images to the window already open and ends.

Two windows on one data folder would each purge deleted conversations under the other one's feet (images its
composer still holds) and answer from two engines at once. So the first window holds ``DataPaths.window_lock``
(a kernel lock: it goes with the process, even after a crash) and listens on a local socket named after the
folder. A second start (the icon clicked again, "Open With VisionDesk" in a file manager) finds the lock taken,
sends its image paths to that socket and ends; the first window comes to the front with them in its composer.

The message is one JSON line, ``{"open": ["/abs/path", ...]}``, answered with ``ok``. The socket is the user's
only (``UserAccessOption``) and carries paths, never file contents.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from visiondesk.models.file_lock import FileLock

log = logging.getLogger(__name__)

ANSWER_WAIT_S = 20.0  # how long a second start waits for the first window (it may still be building itself)
MAX_MESSAGE = 1 << 20  # bytes; paths only


def server_name(data_dir: Path) -> str:
    """The local socket's name for ``data_dir``: the same for every start on that folder by this user."""
    key = f"{getpass.getuser()}\0{Path(data_dir).resolve()}".encode()
    return "visiondesk-" + hashlib.sha256(key).hexdigest()[:24]


class FirstWindow(QObject):
    """The lock and the socket of the window that owns a data folder; ``files_opened`` for each second start.

    ``listen`` once the window is built and ``files_opened`` connected: a second start meanwhile keeps trying.
    """

    files_opened = Signal(list)  # list[Path], perhaps empty: a second start with no images (bring the window up)

    def __init__(self, lock: FileLock, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lock = lock
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._name = server_name(data_dir)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> None:
        """Take second starts' messages from now on."""
        QLocalServer.removeServer(self._name)  # a crashed window's socket: we hold the lock, nobody listens there
        if not self._server.listen(self._name):
            log.warning("a second start cannot reach this window: %s", self._server.errorString())

    def close(self) -> None:
        """Stop listening and give the lock up (at quit)."""
        self._server.close()
        self._lock.release()

    def _accept(self) -> None:
        while (sock := self._server.nextPendingConnection()) is not None:
            self._buffers[sock] = b""
            sock.readyRead.connect(lambda s=sock: self._read(s))
            sock.disconnected.connect(lambda s=sock: self._forget(s))
            self._read(sock)

    def _forget(self, sock: QLocalSocket) -> None:
        self._buffers.pop(sock, None)
        sock.deleteLater()

    def _read(self, sock: QLocalSocket) -> None:
        if sock not in self._buffers:
            return
        data = self._buffers[sock] + bytes(sock.readAll().data())
        if b"\n" not in data:
            self._buffers[sock] = data
            if len(data) > MAX_MESSAGE:
                log.warning("a second start sent more than %d bytes without an end; dropped", MAX_MESSAGE)
                sock.abort()
            return
        line = data.split(b"\n", 1)[0]
        self._buffers.pop(sock)
        files = _parse(line)
        sock.write(b"ok\n" if files is not None else b"bad\n")
        sock.flush()
        sock.disconnectFromServer()
        if files is not None:
            log.info("a second start handed over %d file(s)", len(files))
            self.files_opened.emit(files)


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


def claim(data_dir: Path, lock_path: Path) -> FirstWindow | None:
    """A ``FirstWindow`` for this start when no window holds ``data_dir``; None when one does."""
    lock = FileLock(lock_path)
    if not lock.acquire():
        return None
    return FirstWindow(lock, data_dir)


def hand_over(data_dir: Path, files: list[Path], wait_s: float = ANSWER_WAIT_S) -> bool:
    """Send ``files`` (absolute paths) to the window that holds ``data_dir``; whether it took them in time."""
    message = json.dumps({"open": [str(Path(f).resolve()) for f in files]}).encode() + b"\n"
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        sock = QLocalSocket()
        sock.connectToServer(server_name(data_dir))
        if not sock.waitForConnected(1000):  # not listening yet: that window is still starting
            sock.abort()
            time.sleep(0.2)
            continue
        sock.write(message)
        sock.waitForBytesWritten(1000)
        answer = b""
        while b"\n" not in answer and time.monotonic() < deadline:
            if sock.bytesAvailable() or sock.waitForReadyRead(500):
                answer += bytes(sock.readAll().data())
            elif sock.state() != QLocalSocket.LocalSocketState.ConnectedState:
                break
        sock.abort()
        return answer.startswith(b"ok")
    return False
