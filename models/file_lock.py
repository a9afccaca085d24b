"""An exclusive, non-blocking lock on a file, held by one open handle (so across processes and threads).

``ResumableDownload`` holds one on ``<name>.part.lock`` while it writes ``<name>.part``: a second
VisionDesk window or a ``visiondesk models pull`` of the same file fails at once with a clear message
instead of writing into the same ``.part`` (and cutting it under the first one's hasher).
POSIX: ``fcntl.flock`` (per open file description, released by the kernel when the process dies).
Windows: ``msvcrt.locking`` on the first byte.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class FileLock:
    """``with FileLock(path):`` or ``acquire()``/``release()``; ``acquire`` returns False when it is held."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd = -1

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd >= 0

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; never waits."""
        if self._fd >= 0:
            raise RuntimeError(f"{self.path} is already locked by this object")
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if not _try_lock(fd):
                os.close(fd)
                return False
            try:  # the holder before us may have deleted the file after we opened it: lock the file that is there
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if same:
                self._fd = fd
                return True
            os.close(fd)

    def release(self, *, delete: bool = False) -> None:
        """Give the lock up.

        ``delete`` removes the lock file too: while still holding it, except on Windows, which cannot
        delete an open file.
        """
        if self._fd < 0:
            return
        try:
            if delete and sys.platform != "win32":
                self.path.unlink(missing_ok=True)
            _unlock(self._fd)
        finally:
            os.close(self._fd)
            self._fd = -1
        if delete and sys.platform == "win32":  # pragma: no cover
            with contextlib.suppress(OSError):
                self.path.unlink()
