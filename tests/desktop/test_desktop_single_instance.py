"""One window per data folder: a second start (the icon again, "Open With VisionDesk") hands its images to the
window already open, which comes to the front, and ends. Real processes, a real local socket, a real lock."""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtNetwork import QLocalSocket
from PySide6.QtWidgets import QApplication, QMessageBox
from visiondesk.core.paths import DataPaths
from visiondesk.desktop import single_instance
from visiondesk.desktop.app import start_or_hand_over, take_files_from_outside
from visiondesk.desktop.single_instance import claim

from tests.desktop.conftest import open_shell

# The child that holds a folder's lock and nothing else: a window that hangs before it listens.
HOLD_LOCK = ("import sys, time\nfrom pathlib import Path\nfrom visiondesk.models.file_lock import FileLock\n"
             "assert FileLock(Path(sys.argv[1])).acquire()\nprint('held', flush=True)\ntime.sleep(600)\n")


def start_visiondesk(data: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "VISIONDESK_DATA_DIR": str(data), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen([sys.executable, "-m", "visiondesk", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def owner(data: Path):
    paths = DataPaths.at(data)
    return claim(paths.window_lock, paths.window_address)


def connect(data: Path) -> QLocalSocket:
    sock = QLocalSocket()
    sock.connectToServer(DataPaths.at(data).window_address.read_text())
    assert sock.waitForConnected(2000)
    return sock


def log_says(data: Path, words: str) -> bool:
    log = data / "logs" / "visiondesk.log"
    return log.exists() and words in log.read_text()


def test_a_second_start_hands_its_images_to_the_open_window(qtbot, shell, data_dir: Path, images) -> None:
    first = owner(data_dir)
    assert first is not None
    assert owner(data_dir) is None  # the lock is held: no second owner
    take_files_from_outside(first, shell)
    shell.window.showMinimized()
    try:
        second = start_visiondesk(data_dir, "app", str(images[0]), str(images[1]))
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=60_000)
        out, err = second.communicate()
        assert second.returncode == 0, err[-2000:]
        qtbot.waitUntil(lambda: len(shell.composer.pending) == 2, timeout=10_000)
        assert sorted(i.name for i in shell.composer.pending) == sorted(p.name for p in images)
        assert not shell.window.windowState() & Qt.WindowState.WindowMinimized  # brought back up
        assert shell.window.isVisible()

        again = start_visiondesk(data_dir)  # no images: the window only comes up; nothing else is added
        shell.window.showMinimized()
        qtbot.waitUntil(lambda: again.poll() is not None, timeout=60_000)
        assert again.returncode == 0, again.communicate()[1][-2000:]
        qtbot.waitUntil(lambda: not shell.window.windowState() & Qt.WindowState.WindowMinimized, timeout=5_000)
        assert len(shell.composer.pending) == 2
    finally:
        first.close()
    assert not DataPaths.at(data_dir).window_address.exists()
    assert owner(data_dir) is not None  # closed: the next start owns it


def test_the_address_is_random_and_the_users_own(qtbot, shell, data_dir: Path) -> None:
    """Another local user can neither guess the socket's name and take it first nor read where it is."""
    names = []
    for _ in range(2):
        first = owner(data_dir)
        assert first is not None
        take_files_from_outside(first, shell)
        address = DataPaths.at(data_dir).window_address
        assert stat.S_IMODE(address.stat().st_mode) & 0o077 == 0
        names.append(address.read_text())
        first.close()
    assert names[0] != names[1]


def test_a_message_the_window_cannot_read_is_refused_and_changes_nothing(qtbot, shell, data_dir: Path,
                                                                        images) -> None:
    first = owner(data_dir)
    assert first is not None
    take_files_from_outside(first, shell)
    try:
        for junk in (b"not json\n", b'{"open": "a string"}\n', b'{"open": [3]}\n', b"[]\n"):
            sock = connect(data_dir)
            sock.write(junk)
            qtbot.waitUntil(lambda s=sock: s.bytesAvailable() >= 4, timeout=5_000)
            assert bytes(sock.readAll().data()) == b"bad\n", junk
            sock.abort()
        assert shell.composer.pending == []
        sock = connect(data_dir)  # a message in two pieces is read whole
        sock.write(b'{"open": ["' + str(images[0]).encode()[:5])
        qtbot.wait(200)
        sock.write(str(images[0]).encode()[5:] + b'"]}\n')
        qtbot.waitUntil(lambda: sock.bytesAvailable() >= 3, timeout=5_000)
        assert bytes(sock.readAll().data()) == b"ok\n"
        qtbot.waitUntil(lambda: len(shell.composer.pending) == 1, timeout=10_000)
    finally:
        first.close()


def test_a_connection_that_says_nothing_is_dropped(qtbot, shell, data_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(single_instance, "SILENT_MS", 300)
    first = owner(data_dir)
    assert first is not None
    take_files_from_outside(first, shell)
    try:
        sock = connect(data_dir)
        qtbot.waitUntil(lambda: sock.state() == QLocalSocket.LocalSocketState.UnconnectedState, timeout=5_000)
    finally:
        first.close()


def test_a_start_while_the_window_closes_becomes_the_next_window(qtbot, shell, data_dir: Path, images) -> None:
    """The window is shutting down (its engine stops, it saves; seconds): a start then is not answered "ok" by a
    window that will never show its image, nor told "does not answer": it waits, and opens the window itself."""
    first = owner(data_dir)
    assert first is not None
    take_files_from_outside(first, shell)
    shell.shutdown()  # closing; the process still holds the lock and the socket for a while
    second = start_visiondesk(data_dir, "app", str(images[0]))
    try:
        qtbot.wait(3000)  # it reaches the closing window, is turned away and waits for the lock
        assert second.poll() is None, second.communicate()[1][-2000:]
        assert not log_says(data_dir, "handed over")
        first.close()  # the window is gone
        qtbot.waitUntil(lambda: log_says(data_dir, "VisionDesk started") or second.poll() is not None,
                        timeout=60_000)
        assert second.poll() is None, second.communicate()[1][-2000:]
    finally:
        second.terminate()
        code = second.wait(60)
    assert code == 0, second.communicate()[1][-2000:]


@contextlib.contextmanager
def lock_held_elsewhere(data: Path) -> Iterator[None]:
    """Another process holds ``data``'s lock (and listens nowhere) until it is killed at the end."""
    data.mkdir(exist_ok=True)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(DataPaths.at(data).window_lock)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_goes_with_a_killed_window(tmp_path: Path) -> None:
    """A window that crashed (SIGKILL here) leaves no lock behind: the next start owns the folder."""
    data = tmp_path / "data"
    with lock_held_elsewhere(data):
        assert owner(data) is None
    first = owner(data)
    assert first is not None
    first.close()


def test_a_window_that_does_not_answer_is_named_and_nothing_waits_for_ever(qtbot, tmp_path: Path, capsys) -> None:
    """The lock is held but nobody listens (that window hangs): the second start says so and ends with 1."""
    data = tmp_path / "data"
    with lock_held_elsewhere(data):

        def close_box() -> None:
            boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
            if not boxes:
                QTimer.singleShot(50, close_box)
                return
            assert boxes[0].objectName() == "startupError"
            boxes[0].close()

        QTimer.singleShot(50, close_box)
        started = time.monotonic()
        assert start_or_hand_over(DataPaths.at(data), [], wait_s=1.5) == 1
        assert time.monotonic() - started < 10
        assert "already open on this data folder" in capsys.readouterr().err


def test_two_app_processes_on_one_folder(tmp_path: Path, images) -> None:
    """The whole path, `visiondesk` twice: the second ends at once with 0 and the first window took its image;
    the first closes on SIGTERM and gives the folder up."""
    data = tmp_path / "data"
    first = start_visiondesk(data)
    try:
        deadline = time.monotonic() + 60
        while not log_says(data, "VisionDesk started"):
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()[1][-2000:]
            time.sleep(0.2)
        second = start_visiondesk(data, "app", str(images[0]))
        assert second.wait(60) == 0, second.communicate()[1][-2000:]
        assert log_says(data, "a second start handed over 1 file(s)")
    finally:
        first.terminate()
        assert first.wait(60) == 0, first.communicate()[1][-2000:]
    third = owner(data)
    assert third is not None
    third.close()


def test_a_file_the_system_opens_with_the_app_joins_the_composer(qtbot, shell, data_dir: Path, images) -> None:
    """macOS's Finder (Open With, a drop on the Dock icon) sends a FileOpen event to the running app."""
    first = owner(data_dir)
    assert first is not None
    take_files_from_outside(first, shell, file_open_events=True)  # as on macOS
    shell.window.showMinimized()
    try:
        QApplication.sendEvent(QApplication.instance(), QFileOpenEvent(str(images[0])))
        qtbot.waitUntil(lambda: len(shell.composer.pending) == 1, timeout=10_000)
        assert shell.composer.pending[0].name == images[0].name
        assert not shell.window.windowState() & Qt.WindowState.WindowMinimized
    finally:
        first.close()


def test_a_closed_window_leaves_file_open_events_alone(qtbot, shell, data_dir: Path, images) -> None:
    first = owner(data_dir)
    assert first is not None
    take_files_from_outside(first, shell, file_open_events=True)  # as on macOS
    first.close()
    shell.shutdown()
    assert not QApplication.sendEvent(QApplication.instance(), QFileOpenEvent(str(images[0])))  # not eaten


def test_images_given_before_any_model_are_named_on_the_first_page(qtbot, data_dir: Path, images) -> None:
    """A fresh install opened with a picture: the first page says it waits for a model (it is not lost)."""
    shell = open_shell(qtbot, data_dir, wait_loaded=False)
    first = owner(data_dir)
    assert first is not None
    try:
        take_files_from_outside(first, shell, file_open_events=True)  # as on macOS
        assert shell.window.stack.currentWidget() is shell.window.first_run
        QApplication.sendEvent(QApplication.instance(), QFileOpenEvent(str(images[0])))
        waiting = shell.window.first_run.waiting
        qtbot.waitUntil(lambda: waiting.isVisible(), timeout=10_000)
        assert images[0].name in waiting.text().replace("\u200b", "")
        shell.composer.remove(shell.composer.pending[0])
        assert not waiting.isVisible()
    finally:
        first.close()
        shell.shutdown()
