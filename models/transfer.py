"""One file's transfer: a ``.part`` file resumed with Range requests across calls and restarts.

``huggingface_hub`` restarts from its last 10 MiB block only within one call and forgets everything on
failure, so VisionDesk owns the transfer: bytes go to ``<name>.part`` (with a small ``.part.json``
saying which file they belong to), the SHA-256 is computed while writing by a thread that reads the
``.part`` back behind the writer, and the finished file is moved into place with ``os.replace`` only
when its hash matches the Hub's LFS hash. While it runs, a lock on ``<name>.part.lock`` keeps every other
transfer of the same file (another window, the command line) away from the ``.part``.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable
from io import FileIO
from pathlib import Path

from .errors import ChecksumMismatch, DownloadBusy, DownloadCancelled, DownloadFailed, NotEnoughDiskSpace
from .file_lock import FileLock
from .fit import free_disk_bytes
from .hashing import FileFollower
from .hub import HubClient, RemoteFile
from .retry import TRANSIENT_STATUS, retry_after_seconds
from .retry import RetryPolicy as RetryPolicy  # re-exported: the job, the manager and tests import it from here

logger = logging.getLogger(__name__)


class Paused(Exception):
    """Raised inside a transfer when a pause was requested; the .part file is kept."""


class TransferControl:
    """Pause and cancel flags shared between the UI thread and the transfer (thread-safe)."""

    def __init__(self) -> None:
        self._pause = threading.Event()
        self._cancel = threading.Event()
        self._wake = threading.Event()

    def request_pause(self) -> None:
        """Ask the transfer to stop at the next chunk, keeping what it has."""
        self._pause.set()
        self._wake.set()

    def clear_pause(self) -> None:
        """Allow the transfer to run again."""
        self._pause.clear()
        self._wake.set()

    def request_cancel(self) -> None:
        """Ask the transfer to stop and discard partial files."""
        self._cancel.set()
        self._wake.set()

    @property
    def cancelled(self) -> bool:
        """Whether cancel was requested."""
        return self._cancel.is_set()

    @property
    def paused(self) -> bool:
        """Whether a pause is requested."""
        return self._pause.is_set()

    def check(self) -> None:
        """Raise ``DownloadCancelled`` or ``Paused`` when asked to stop."""
        if self._cancel.is_set():
            raise DownloadCancelled()
        if self._pause.is_set():
            raise Paused()

    def sleep(self, seconds: float) -> None:
        """Wait, but wake early on pause or cancel."""
        self._wake.clear()
        if not (self._pause.is_set() or self._cancel.is_set()):
            self._wake.wait(seconds)
        self.check()

    def wait_while_paused(self) -> None:
        """Block until resumed or cancelled (then raise ``DownloadCancelled``)."""
        while self._pause.is_set() and not self._cancel.is_set():
            self._wake.clear()
            if self._pause.is_set() and not self._cancel.is_set():
                self._wake.wait(1.0)
        if self._cancel.is_set():
            raise DownloadCancelled()


class ResumableDownload:
    """Downloads ``remote`` to ``dest``; call ``run`` again after a pause or failure to continue."""

    def __init__(self, hub: HubClient, remote: RemoteFile, dest: Path, *, control: TransferControl | None = None,
                 retry: RetryPolicy = RetryPolicy(), chunk_size: int = 1 << 20,
                 on_bytes: Callable[[int], None] | None = None) -> None:
        self.hub, self.remote, self.dest = hub, remote, Path(dest)
        self.part = self.dest.with_name(self.dest.name + ".part")
        self.sidecar = self.dest.with_name(self.dest.name + ".part.json")
        self._lock = FileLock(self.dest.with_name(self.dest.name + ".part.lock"))
        self.control = control or TransferControl()
        self.retry, self.chunk_size = retry, chunk_size
        self.on_bytes = on_bytes
        self.resumed_from = 0  # bytes found on disk when the last run started
        self.requests_made = 0
        self._hash: hashlib._Hash | None = None  # kept across pauses within this object
        self._hashed = 0  # bytes of the .part covered by _hash (may lag behind the file after a pause)
        self._offset = 0

    @property
    def bytes_on_disk(self) -> int:
        """Bytes already in the .part file (or the whole size once finished)."""
        if self.dest.exists() and not self.part.exists():
            return self.dest.stat().st_size
        return self.part.stat().st_size if self.part.exists() else 0

    def discard(self) -> None:
        """Delete the partial file and its sidecar, unless another transfer of the file is running now."""
        borrowed = not self._lock.held  # called from run() it holds the lock already
        if borrowed and not self.part.parent.is_dir():
            return  # cancelled before the first transfer made the folder: nothing to delete
        if borrowed and not self._lock.acquire():
            logger.info("not deleting %s: another transfer of it is running", self.part)
            return
        try:
            self.part.unlink(missing_ok=True)
            self.sidecar.unlink(missing_ok=True)
            self._hash, self._hashed = None, 0
        finally:
            if borrowed:
                self._lock.release(delete=True)

    def run(self) -> str:
        """Download the rest of the file, verify it and move it into place; return its SHA-256.

        Raises ``Paused`` (part kept), ``DownloadCancelled`` (part kept; the job deletes it),
        ``ChecksumMismatch`` (part deleted), ``NotEnoughDiskSpace`` or ``DownloadFailed`` (part kept),
        ``DownloadBusy`` (another transfer of this file is running; nothing touched).
        """
        self.dest.parent.mkdir(parents=True, exist_ok=True)
        if not self._lock.acquire():
            raise DownloadBusy(self.remote.name, self.dest.parent)
        try:
            return self._run_locked()
        finally:
            self._drop_empty_part()
            self._lock.release(delete=not self.part.exists())

    def _drop_empty_part(self) -> None:
        """A failure before the first byte leaves nothing worth resuming: no 0-byte .part or sidecar."""
        try:
            empty = self.part.stat().st_size == 0
        except OSError:
            return
        if empty:
            self.part.unlink(missing_ok=True)
            self.sidecar.unlink(missing_ok=True)
            self._hash, self._hashed = None, 0

    def _run_locked(self) -> str:
        self._offset = self._prepare_part()
        self.resumed_from = self._offset
        hasher = self._follower(self._offset)
        try:
            self._transfer(hasher)
        except BaseException:
            # Stop hashing where it is (a pause or cancel must not wait for a long re-hash); the state
            # is kept so the next run continues from there. Cancelled parts are deleted by the job.
            kept = hasher.stop()
            self._hash, self._hashed = (None, 0) if kept is None or self.control.cancelled else kept
            raise
        h, hashed = hasher.finish()
        self._hash, self._hashed = h.copy(), hashed
        return self._finish(self._offset, hashed, h.hexdigest())

    def _prepare_part(self) -> int:
        expected = {"file": self.remote.name, "size": self.remote.size, "sha256": self.remote.sha256}
        if self.part.exists():
            try:
                recorded = json.loads(self.sidecar.read_text("utf-8"))
            except (OSError, ValueError):
                recorded = None
            size = self.part.stat().st_size
            if recorded != expected or (self.remote.size is not None and size > self.remote.size):
                logger.info("discarding %s: it belongs to another version of the file", self.part)
                self.discard()
        if not self.part.exists():
            self.part.touch()
            self._hash, self._hashed = None, 0
        self.sidecar.write_text(json.dumps(expected), "utf-8")
        return self.part.stat().st_size

    def _follower(self, offset: int) -> FileFollower:
        """A hasher following the .part, from the state kept from a pause or else from byte 0.

        It first hashes the bytes already on disk (up to ``offset``) while the download goes on.
        """
        if self._hash is not None and self._hashed <= offset:
            start, position = self._hash.copy(), self._hashed
        else:
            start, position = None, 0
        if offset > position:
            logger.info("re-hashing %d bytes already in %s", offset - position, self.part.name)
        return FileFollower(self.part, start=start, position=position, written=offset)

    def _transfer(self, hasher: FileFollower) -> None:
        import httpx2  # here, not at module level: the window imports this module at start-up, httpx takes ~0.1 s

        total = self.remote.size
        failures = 0
        while total is None or self._offset < total:
            self.control.check()
            before = self._offset
            try:
                if self._one_request(hasher):
                    return
                raise httpx2.RemoteProtocolError("the answer ended early")
            except (httpx2.TransportError, _RetryableStatus) as exc:
                failures = 1 if self._offset > before else failures + 1
                if failures >= self.retry.max_attempts:
                    raise DownloadFailed(self.remote.name, failures, str(exc), self._offset) from exc
                delay = self.retry.wait_before(failures, exc.retry_after if isinstance(exc, _RetryableStatus)
                                               else None)
                logger.warning("%s: %s at byte %d; retry %d in %.2fs", self.remote.name,
                               exc.__class__.__name__, self._offset, failures, delay)
                self.control.sleep(delay)

    def _one_request(self, hasher: FileFollower) -> bool:
        """One GET from the current offset; True when the file is complete."""
        self.requests_made += 1
        size = self.remote.size
        with self.hub.stream(self.remote.url, self._offset) as r:
            if r.status_code in TRANSIENT_STATUS:
                raise _RetryableStatus(f"HTTP {r.status_code}", retry_after_seconds(r.headers))
            if r.status_code == 416 and size is not None and self._offset >= size:
                return True
            self.hub.raise_for_status(r)
            if self._offset and r.status_code != 206:
                logger.warning("%s: the server ignored the Range request; starting over", self.remote.name)
                hasher.reset()
                self._offset = 0
            elif self._offset and not r.headers.get("Content-Range", "").startswith(f"bytes {self._offset}-"):
                raise _RetryableStatus(f"unexpected Content-Range {r.headers.get('Content-Range')!r}")
            # Unbuffered: a full disk must fail in _write, not again when the file is closed.
            with self.part.open("r+b", buffering=0) as f:
                f.seek(self._offset)
                if os.fstat(f.fileno()).st_size != self._offset:
                    # Only when a failed write left bytes past the offset. Truncating an empty file every
                    # time made ext4 (auto_da_alloc) flush the whole file to disk on close: +70% on a fast link.
                    f.truncate()
                # Write each piece as it arrives, so a cut loses no received byte, and publish the new end
                # of file; the follower reads it back and hashes it on its own thread. Progress is
                # reported per chunk_size.
                unreported = 0
                try:
                    for piece in r.iter_bytes():
                        self.control.check()
                        if size is not None and self._offset + len(piece) > size:
                            piece = piece[: size - self._offset]  # never write past the published size
                        self._write(f, piece)
                        self._offset += len(piece)
                        hasher.advance(self._offset)
                        unreported += len(piece)
                        if unreported >= self.chunk_size:
                            self._report(unreported)
                            unreported = 0
                        if size is not None and self._offset >= size:
                            break
                finally:
                    self._report(unreported)
            return size is None or self._offset >= size

    def _report(self, n: int) -> None:
        if n and self.on_bytes is not None:
            self.on_bytes(n)

    def _write(self, f: FileIO, chunk: bytes) -> None:
        try:
            view = memoryview(chunk)
            while view:
                view = view[f.write(view) or 0:]
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise NotEnoughDiskSpace(self.dest.parent, (self.remote.size or 0) - self.bytes_on_disk,
                                         free_disk_bytes(self.dest.parent), during=True) from exc
            raise

    def _finish(self, offset: int, hashed: int, digest: str) -> str:
        """``hashed`` < ``offset`` when the .part held fewer bytes than were written (changed behind our back)."""
        size_ok = hashed == offset and (self.remote.size is None or offset == self.remote.size)
        if not size_ok or (self.remote.sha256 is not None and digest != self.remote.sha256.lower()):
            self.discard()
            raise ChecksumMismatch(self.remote.name, self.remote.sha256 or f"{self.remote.size} bytes",
                                   digest if size_ok else f"{min(offset, hashed)} bytes")
        os.replace(self.part, self.dest)
        self.sidecar.unlink(missing_ok=True)
        self._hash, self._hashed = None, 0
        logger.info("%s verified (sha256 %s)", self.dest.name, digest)
        return digest


class _RetryableStatus(Exception):
    """A 5xx/429 answer or an inconsistent one: worth another try (after ``retry_after`` s, if the server said)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
