"""SHA-256 of files, and of files being written (computed off the writing thread)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path

CHUNK = 1 << 20


def sha256_file(path: Path, *, limit: int | None = None, on_bytes: Callable[[int], None] | None = None,
                should_stop: Callable[[], bool] | None = None) -> str:
    """Hex SHA-256 of a file (or of its first ``limit`` bytes)."""
    return hash_prefix(path, limit=limit, on_bytes=on_bytes, should_stop=should_stop).hexdigest()


def hash_prefix(path: Path, *, limit: int | None = None, on_bytes: Callable[[int], None] | None = None,
                should_stop: Callable[[], bool] | None = None) -> hashlib._Hash:
    """A SHA-256 object fed with the first ``limit`` bytes of ``path`` (all of it if None)."""
    h = hashlib.sha256()
    left = limit
    with Path(path).open("rb") as f:
        while left is None or left > 0:
            if should_stop is not None and should_stop():
                break
            block = f.read(CHUNK if left is None else min(CHUNK, left))
            if not block:
                break
            h.update(block)
            if left is not None:
                left -= len(block)
            if on_bytes is not None:
                on_bytes(len(block))
    return h


class FileFollower:
    """Hashes a file while another thread appends to it, by reading it back from the page cache.

    The writing thread only writes and calls ``advance`` with its new end offset (an attribute store,
    plus a wake-up about once per ``step`` bytes); a thread of its own reads the new bytes into one
    reused buffer and hashes them. Both calls release the GIL, so hashing overlaps with receiving
    instead of competing with it. Because the follower reads the file, the hash covers exactly the
    bytes on disk. A follower can start part-way (``start`` = the SHA-256 state of the first
    ``position`` bytes) and then hashes whatever already lies between there and the writer.
    (Hashing each step through a read-only ``mmap`` instead of copying it was measured and not kept:
    see bench/RESULTS-download.md.)
    """

    def __init__(self, path: Path, *, start: hashlib._Hash | None = None, position: int = 0, written: int = 0,
                 step: int = 2 << 20) -> None:
        self._file = Path(path).open("rb", buffering=0)
        self._step = step
        self._buf = bytearray(step)
        self._cond = threading.Condition(threading.Lock())
        self._written = max(written, position)
        self._waiting = False
        self._want = 0
        self._stop = False
        self._finishing = False
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._start(start if start is not None else hashlib.sha256(), position)

    @property
    def position(self) -> int:
        """Bytes hashed so far (read without locking; for progress and tests)."""
        return self._pos

    def advance(self, written: int) -> None:
        """The writer's new end offset: everything before it is in the file."""
        self._written = written
        if self._waiting and written >= self._want:
            with self._cond:
                self._cond.notify()

    def reset(self) -> None:
        """Start over from zero bytes (the server ignored a Range request). Call before rewriting the file."""
        self._halt()
        self._written = 0
        self._start(hashlib.sha256(), 0)

    def finish(self) -> tuple[hashlib._Hash, int]:
        """Hash up to the writer's last offset, stop, and return (hash, bytes hashed).

        Fewer bytes than written come back only when the file turned out shorter than the writer said.
        """
        with self._cond:
            self._finishing = True
            self._cond.notify()
        return self._join()

    def stop(self) -> tuple[hashlib._Hash, int] | None:
        """Stop where the follower is, without catching up; return (hash, bytes hashed) so far.

        None when reading the file failed (the caller is already handling an error; a later run re-hashes).
        """
        self._halt()
        try:
            return self._join()
        except OSError:
            return None

    def _start(self, h: hashlib._Hash, position: int) -> None:
        self._hash, self._pos = h, position
        self._stop = self._finishing = False
        self._thread = threading.Thread(target=self._run, name="sha256-follow", daemon=True)
        self._thread.start()

    def _halt(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()

    def _join(self) -> tuple[hashlib._Hash, int]:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._file.close()
        if self._error is not None:
            raise self._error
        return self._hash, self._pos

    def _run(self) -> None:
        try:
            self._follow()
        except BaseException as exc:  # re-raised by finish/stop on the caller's thread
            self._error = exc

    def _follow(self) -> None:
        buf, view, step, h, f = self._buf, memoryview(self._buf), self._step, self._hash, self._file
        pos = self._pos
        while True:
            end = self._written
            if end - pos < step and not self._finishing:
                with self._cond:
                    self._want = pos + step
                    self._waiting = True
                    while self._written - pos < step and not (self._finishing or self._stop):
                        self._cond.wait()
                    self._waiting = False
                end = self._written
            if self._stop:
                return
            if pos >= end:  # finishing and caught up
                return
            want = min(step, end - pos)
            f.seek(pos)
            n = f.readinto(buf if want == step else view[:want]) or 0
            if n <= 0:
                return  # the file is shorter than the writer said: finish() reports fewer bytes
            h.update(view[:n])
            pos += n
            self._pos = pos
