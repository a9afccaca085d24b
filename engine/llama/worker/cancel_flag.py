"""A cancel flag both processes see: four bytes of a memory-mapped temporary file.

The parent sets it; llama.cpp's abort callback, libmtmd's graph callback and the child's loops read
it, so a cancel reaches the child even while it is inside a native call.
"""

from __future__ import annotations

import mmap
import os
import tempfile
from pathlib import Path


class CancelFlag:
    """``value`` is 0 or 1; reading it is a memory access, cheap enough for per-node callbacks."""

    def __init__(self, path: Path, owner: bool) -> None:
        self.path = path
        self._owner = owner
        self._file = open(path, "r+b")  # noqa: SIM115 - kept open for the mapping's lifetime
        self._map = mmap.mmap(self._file.fileno(), 4)

    @classmethod
    def create(cls) -> CancelFlag:
        """A new flag in a temporary file (the parent's side)."""
        fd, name = tempfile.mkstemp(prefix="visiondesk-cancel-")
        os.write(fd, b"\0\0\0\0")
        os.close(fd)
        return cls(Path(name), owner=True)

    @classmethod
    def attach(cls, path: str) -> CancelFlag:
        """The flag the parent created (the child's side)."""
        return cls(Path(path), owner=False)

    @property
    def value(self) -> int:
        """1 when cancel was asked for."""
        return self._map[0]

    @value.setter
    def value(self, v: int) -> None:
        self._map[0] = 1 if v else 0

    def close(self) -> None:
        """Unmap; the parent also deletes the file."""
        try:
            self._map.close()
            self._file.close()
        finally:
            if self._owner:
                self.path.unlink(missing_ok=True)
