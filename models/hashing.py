"""SHA-256 of files, and of files being written (computed off the writing thread)."""

from __future__ import annotations

import collections
import hashlib
import os
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
    """Hashes a file while another thread appends to it, on a thread of its own.

    The writing thread writes, then calls ``advance`` with its new end offset and, optionally, the
    piece it has just written (an attribute store and a deque append, plus a wake-up about once per
    ``step`` bytes). The follower hashes those pieces from memory; bytes it has no piece for (those on
    disk before it started, or pieces let go because it fell more than ``keep`` bytes behind) it reads
    back from the page cache with ``os.preadv`` into one reused buffer. Hashing and reading release the
    GIL, so hashing overlaps with receiving instead of competing with it; hashing the received pieces
    spares the copy out of the page cache, which on a link faster than one core's SHA-256 is time the
    download waits for. A piece is handed over only after it is fully written, so the hash covers the
    bytes in the file. A follower can start part-way (``start`` = the SHA-256 state of the first
    ``position`` bytes) and then hashes whatever already lies between there and the writer.
    """

    def __init__(self, path: Path, *, start: hashlib._Hash | None = None, position: int = 0, written: int = 0,
                 step: int = 2 << 20, keep: int = 64 << 20) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        self._step = step
        self._keep = keep
        self._pieces: collections.deque[tuple[int, bytes]] = collections.deque()  # (offset, bytes), in order
        self._pieces_lock = threading.Lock()
        self._held = 0  # bytes in _pieces
        self._from_memory = 0  # bytes hashed from pieces (for tests and the benchmark)
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

    @property
    def hashed_from_memory(self) -> int:
        """Bytes hashed from the pieces handed to ``advance`` rather than read back."""
        return self._from_memory

    def advance(self, written: int, piece: bytes | None = None) -> None:
        """The writer's new end offset: everything before it is in the file.

        ``piece``: the bytes just written, ending there; hashed from memory when the follower gets there.
        """
        if piece:
            with self._pieces_lock:
                self._pieces.append((written - len(piece), piece))
                self._held += len(piece)
                while self._held > self._keep:  # far behind (re-hashing a resumed file): read these back later
                    self._held -= len(self._pieces.popleft()[1])
        self._written = written
        if self._waiting and written >= self._want:
            with self._cond:
                self._cond.notify()

    def reset(self) -> None:
        """Start over from zero bytes (the server ignored a Range request). Call before rewriting the file."""
        self._halt()
        with self._pieces_lock:
            self._pieces.clear()
            self._held = 0
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
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._error is not None:
            raise self._error
        return self._hash, self._pos

    def _run(self) -> None:
        try:
            self._follow()
        except BaseException as exc:  # re-raised by finish/stop on the caller's thread
            self._error = exc

    def _follow(self) -> None:
        buf, view, step, h, fd = self._buf, memoryview(self._buf), self._step, self._hash, self._fd
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
            pieces, next_piece = self._take(pos)
            if pieces:
                for piece in pieces:
                    h.update(piece)
                    pos += len(piece)
                    self._from_memory += len(piece)
                self._pos = pos
                continue
            stop = min(end, next_piece) if next_piece is not None and next_piece > pos else end
            n = os.preadv(fd, [buf if stop - pos >= step else view[:stop - pos]], pos)
            if n <= 0:
                return  # the file is shorter than the writer said: finish() reports fewer bytes
            h.update(view[:n])
            pos += n
            self._pos = pos

    def _take(self, pos: int) -> tuple[list[memoryview], int | None]:
        """Up to ``step`` bytes of contiguous pieces from ``pos`` on (dropping those before it).

        With none at ``pos``: no pieces, and where the first held piece starts (None if none is held).
        """
        out: list[memoryview] = []
        taken = 0
        with self._pieces_lock:
            pieces = self._pieces
            while pieces and pieces[0][0] + len(pieces[0][1]) <= pos:
                self._held -= len(pieces.popleft()[1])
            while pieces and pieces[0][0] <= pos + taken and taken < self._step:
                offset, piece = pieces.popleft()
                self._held -= len(piece)
                view = memoryview(piece)[pos + taken - offset:]
                out.append(view)
                taken += len(view)
            return out, (pieces[0][0] if pieces else None)
