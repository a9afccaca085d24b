"""Routes llama.cpp's and libmtmd's log output into Python logging, keeping the recent lines.

llama.cpp explains failures (unknown architecture, out of memory, projector mismatch) only in its
log; the engine reads the recent lines to turn a bare NULL into a message a user can act on.
"""

from __future__ import annotations

import collections
import ctypes
import logging

import llama_cpp
from llama_cpp import mtmd_cpp

log = logging.getLogger("visiondesk.engine.llama")

_LEVELS = {1: logging.DEBUG, 2: logging.DEBUG, 3: logging.WARNING, 4: logging.ERROR, 5: logging.DEBUG}


class NativeLog:
    """Installs the log callbacks; ``recent()`` returns the last lines llama.cpp wrote."""

    def __init__(self, keep: int = 200) -> None:
        self._lines: collections.deque[str] = collections.deque(maxlen=keep)
        self._partial = ""
        self._callback = llama_cpp.llama_log_callback(self._on_log)  # keep a reference: C holds it
        llama_cpp.llama_log_set(self._callback, ctypes.c_void_p(0))
        mtmd_cpp.mtmd_log_set(self._callback, ctypes.c_void_p(0))
        mtmd_cpp.mtmd_helper_log_set(self._callback, ctypes.c_void_p(0))

    def _on_log(self, level: int, text: bytes | None, _user: ctypes.c_void_p) -> None:
        if not text:
            return
        self._partial += text.decode("utf-8", "replace")
        while "\n" in self._partial:
            line, self._partial = self._partial.split("\n", 1)
            if line.strip():
                self._lines.append(line)
                log.log(_LEVELS.get(level, logging.DEBUG) if level != 4 else logging.WARNING, "%s", line)

    def mark(self) -> int:
        """A position to read new lines from (see ``since``)."""
        return len(self._lines)

    def recent(self, n: int = 40) -> list[str]:
        """The last ``n`` lines."""
        return list(self._lines)[-n:]

    def contains(self, needle: str, n: int = 80) -> str | None:
        """The most recent of the last ``n`` lines containing ``needle``."""
        for line in reversed(self.recent(n)):
            if needle in line:
                return line
        return None
