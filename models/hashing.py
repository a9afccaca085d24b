"""SHA-256 of files and of download streams, computed off the writing thread."""

from __future__ import annotations

import hashlib
import queue
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


class StreamHasher:
    """Hashes chunks on its own thread so hashing overlaps with the network and the disk.

    ``hashlib`` releases the GIL for large updates, so on two cores hashing costs the download
    almost nothing. Feed with ``update``; ``hexdigest`` waits for the queue to drain.
    """

    def __init__(self, start: hashlib._Hash | None = None, max_pending: int = 64) -> None:
        self._hash = start if start is not None else hashlib.sha256()
        self._queue: queue.Queue[list[bytes] | None | _Reset] = queue.Queue(maxsize=max_pending)
        self._thread = threading.Thread(target=self._run, name="sha256", daemon=True)
        self._closed = False
        self._thread.start()

    def update(self, data: bytes) -> None:
        """Queue ``data`` for hashing (blocks when the hasher is far behind)."""
        self._queue.put([data])

    def update_many(self, pieces: list[bytes]) -> None:
        """Queue several consecutive pieces at once (one hand-off instead of many)."""
        self._queue.put(pieces)

    def reset(self) -> None:
        """Start over from zero bytes (the server ignored a Range request)."""
        self._queue.put(_RESET)

    def hash_object(self) -> hashlib._Hash:
        """A copy of the hash state after everything queued so far (closes the hasher)."""
        self.close()
        return self._hash.copy()

    def hexdigest(self) -> str:
        """Finish and return the digest."""
        self.close()
        return self._hash.hexdigest()

    def close(self) -> None:
        """Stop the thread once queued data is hashed."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()

    def _run(self) -> None:
        while True:
            data = self._queue.get()
            if data is None:
                return
            if isinstance(data, _Reset):
                self._hash = hashlib.sha256()
                continue
            for piece in data:
                self._hash.update(piece)


class _Reset:
    """Queue marker: restart the hash."""


_RESET = _Reset()
