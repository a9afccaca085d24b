"""One window per data folder: a second start (the icon again, "Open With VisionDesk") hands its images to the
window already open, which comes to the front, and ends. Real processes, a real local socket, a real lock."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtNetwork import QLocalSocket
from PySide6.QtWidgets import QApplication, QMessageBox
from visiondesk.core.paths import DataPaths
from visiondesk.desktop.app import hand_to_open_window, take_second_starts
from visiondesk.desktop.single_instance import claim, hand_over, server_name

# The child that holds a folder's lock and nothing else: a window that hangs before it listens.
HOLD_LOCK = ("import sys, time\nfrom pathlib import Path\nfrom visiondesk.models.file_lock import FileLock\n"
             "assert FileLock(Path(sys.argv[1])).acquire()\nprint('held', flush=True)\ntime.sleep(600)\n")


def start_visiondesk(data: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "VISIONDESK_DATA_DIR": str(data), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen([sys.executable, "-m", "visiondesk", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_a_second_start_hands_its_images_to_the_open_window(qtbot, shell, data_dir: Path, images) -> None:
    first = claim(data_dir, DataPaths.at(data_dir).window_lock)
    assert first is not None
    assert claim(data_dir, DataPaths.at(data_dir).window_lock) is None  # the lock is held: no second owner
    take_second_starts(first, shell)
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
    assert claim(data_dir, DataPaths.at(data_dir).window_lock) is not None  # closed: the next start owns it


def test_a_message_the_window_cannot_read_is_refused_and_changes_nothing(qtbot, shell, data_dir: Path) -> None:
    first = claim(data_dir, DataPaths.at(data_dir).window_lock)
    assert first is not None
    seen: list[list[Path]] = []
    first.files_opened.connect(seen.append)
    take_second_starts(first, shell)
    try:
        for junk in (b"not json\n", b'{"open": "a string"}\n', b'{"open": [3]}\n', b"[]\n"):
            sock = QLocalSocket()
            sock.connectToServer(server_name(data_dir))
            assert sock.waitForConnected(2000)
            sock.write(junk)
            qtbot.waitUntil(lambda s=sock: s.bytesAvailable() >= 4, timeout=5_000)
            assert bytes(sock.readAll().data()) == b"bad\n", junk
            sock.abort()
        assert seen == [] and shell.composer.pending == []
    finally:
        first.close()


def test_the_lock_goes_with_a_killed_window(tmp_path: Path) -> None:
    """A window that crashed (SIGKILL here) leaves no lock behind: the next start owns the folder."""
    data = tmp_path / "data"
    data.mkdir()
    lock = DataPaths.at(data).window_lock
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert claim(data, lock) is None
    finally:
        holder.kill()
        holder.wait()
    first = claim(data, lock)
    assert first is not None
    first.close()


def test_a_window_that_does_not_answer_is_named_and_nothing_waits_for_ever(qtbot, tmp_path: Path, capsys) -> None:
    """The lock is held but nobody listens (that window hangs): the second start says so and ends with 1."""
    data = tmp_path / "data"
    data.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(DataPaths.at(data).window_lock)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        assert not hand_over(data, [], wait_s=1.5)
        assert time.monotonic() - started < 10

        def close_box() -> None:
            boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
            if not boxes:
                QTimer.singleShot(50, close_box)
                return
            assert boxes[0].objectName() == "startupError"
            boxes[0].close()

        QTimer.singleShot(50, close_box)
        assert hand_to_open_window(data, [], wait_s=1.5) == 1
        assert "already open on this data folder" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()


def test_two_app_processes_on_one_folder(tmp_path: Path, images) -> None:
    """The whole path, `visiondesk` twice: the second ends at once with 0 and the first window took its image;
    the first closes on SIGTERM and gives the folder up."""
    data = tmp_path / "data"
    first = start_visiondesk(data)
    try:
        deadline = time.monotonic() + 60
        log = data / "logs" / "visiondesk.log"
        while "VisionDesk started" not in (log.read_text() if log.exists() else ""):
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()[1][-2000:]
            time.sleep(0.2)
        second = start_visiondesk(data, "app", str(images[0]))
        assert second.wait(60) == 0, second.communicate()[1][-2000:]
        assert "a second start handed over 1 file(s)" in log.read_text()
    finally:
        first.terminate()
        assert first.wait(60) == 0, first.communicate()[1][-2000:]
    third = claim(data, DataPaths.at(data).window_lock)
    assert third is not None
    third.close()
