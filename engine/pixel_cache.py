"""Prepared pixels on disk, one raw RGB file per image digest, shared by the app and the engine process.

An image is decoded once, when it is attached; its prepared pixels are written here under their
digest. The engine process reads them from the file (memory-mapped) when it must encode the image,
so a 12-megapixel photo is neither decoded again nor pickled through the pipe, and after a restart
a follow-up about an old image decodes nothing. Files are written atomically (a temporary name, then
``os.replace``), checked by size when read, and the folder is kept under ``max_bytes`` by dropping
the least recently used files.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from .images import PreparedImage

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 2 * 1024**3
_NAME = re.compile(r"^[0-9a-f]{64}\.rgb$")


class PixelCache:
    """A bounded folder of ``<digest>.rgb`` files (8-bit RGB, row-major, no header)."""

    def __init__(self, folder: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes

    def path_for(self, digest: str) -> Path:
        """Where the pixels of ``digest`` live (whether or not they are there)."""
        return self.folder / f"{digest}.rgb"

    def find(self, digest: str, width: int, height: int) -> Path | None:
        """The file of these pixels if it is there and whole; touched, so it is kept longer."""
        path = self.path_for(digest)
        try:
            if path.stat().st_size != width * height * 3:
                log.warning("pixel cache file %s has the wrong size; ignored", path.name)
                return None
            os.utime(path)
        except OSError:
            return None
        return path

    def put(self, image: PreparedImage) -> Path:
        """Write ``image``'s pixels (once per digest); returns the file."""
        path = self.path_for(image.digest)
        found = self.find(image.digest, image.width, image.height)
        if found is not None:
            return found
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(image.rgb)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        self._trim(keep=path)
        return path

    def forget(self, digests: Iterable[str]) -> int:
        """Delete the pixels of ``digests`` (their images were purged); how many files there were."""
        removed = 0
        for digest in digests:
            if _NAME.match(f"{digest}.rgb"):
                with contextlib.suppress(OSError):
                    self.path_for(digest).unlink()
                    removed += 1
        return removed

    def _trim(self, keep: Path) -> None:
        """Drop the least recently used files until the folder fits ``max_bytes``."""
        entries: list[tuple[float, int, Path]] = []
        for entry in self.folder.iterdir():
            if not _NAME.match(entry.name):
                continue
            with contextlib.suppress(OSError):
                st = entry.stat()
                entries.append((st.st_mtime, st.st_size, entry))
        total = sum(size for _, size, _ in entries)
        for _, size, entry in sorted(entries):
            if total <= self.max_bytes:
                break
            if entry == keep:
                continue
            with contextlib.suppress(OSError):
                entry.unlink()
                total -= size
