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
    """Hashes a byte stream on its own thread so hashing overlaps with the network and the disk.

    ``feed`` copies each piece into one of a few reused blocks and hands full blocks to the hashing
    thread (``hashlib`` releases the GIL while it hashes them). Reusing blocks matters: keeping the
    received pieces alive instead made the allocator fault in fresh pages for every piece, which cost
    more than the hashing. ``hexdigest`` hashes what is left and returns the digest.
    """

    def __init__(self, start: hashlib._Hash | None = None, block_size: int = 1 << 20, blocks: int = 4) -> None:
        self._hash = start if start is not None else hashlib.sha256()
        self._block_size = block_size
        self._free: queue.Queue[bytearray] = queue.Queue()
        for _ in range(blocks):
            self._free.put(bytearray(block_size))
        self._full: queue.Queue[tuple[bytearray, int] | None | _Reset] = queue.Queue()
        self._block = self._free.get()
        self._fill = 0
        self._thread = threading.Thread(target=self._run, name="sha256", daemon=True)
        self._closed = False
        self._thread.start()

    def feed(self, data: bytes) -> None:
        """Add ``data`` to the stream (blocks only when the hashing thread is several blocks behind)."""
        view = memoryview(data)
        while view:
            n = min(len(view), self._block_size - self._fill)
            self._block[self._fill:self._fill + n] = view[:n]
            self._fill += n
            view = view[n:]
            if self._fill == self._block_size:
                self._hand_over()

    def reset(self) -> None:
        """Start over from zero bytes (the server ignored a Range request)."""
        self._fill = 0
        self._full.put(_RESET)

    def hash_object(self) -> hashlib._Hash:
        """A copy of the hash state after everything fed so far (closes the hasher)."""
        self.close()
        return self._hash.copy()

    def hexdigest(self) -> str:
        """Finish and return the digest."""
        self.close()
        return self._hash.hexdigest()

    def close(self) -> None:
        """Hash what is left and stop the thread."""
        if not self._closed:
            self._closed = True
            if self._fill:
                self._full.put((self._block, self._fill))
                self._fill = 0
            self._full.put(None)
            self._thread.join()

    def _hand_over(self) -> None:
        self._full.put((self._block, self._fill))
        self._block = self._free.get()
        self._fill = 0

    def _run(self) -> None:
        while True:
            item = self._full.get()
            if item is None:
                return
            if isinstance(item, _Reset):
                self._hash = hashlib.sha256()
                continue
            block, n = item
            self._hash.update(memoryview(block)[:n])
            self._free.put(block)


class _Reset:
    """Queue marker: restart the hash."""


_RESET = _Reset()
