"""Routes llama.cpp's and libmtmd's log output into Python logging, keeping the recent lines.

llama.cpp explains failures (unknown architecture, out of memory, projector mismatch) only in its
log; the engine reads the recent lines to turn a bare NULL into a message a user can act on.
llama.cpp logs several lines per request through this callback, so it does the least it can: keep
the raw bytes, and hand only warnings and errors to ``logging``. Lines are decoded when read.
"""

from __future__ import annotations

import collections
import ctypes
import logging

import llama_cpp
from llama_cpp import mtmd_cpp

log = logging.getLogger("visiondesk.engine.llama")

_WARN, _ERROR = 3, 4  # ggml_log_level


class NativeLog:
    """Installs the log callbacks; ``recent()`` returns the last lines llama.cpp wrote."""

    def __init__(self, keep: int = 400) -> None:
        self._chunks: collections.deque[bytes] = collections.deque(maxlen=keep)
        self._callback = llama_cpp.llama_log_callback(self._on_log)  # keep a reference: C holds it
        llama_cpp.llama_log_set(self._callback, ctypes.c_void_p(0))
        mtmd_cpp.mtmd_log_set(self._callback, ctypes.c_void_p(0))
        mtmd_cpp.mtmd_helper_log_set(self._callback, ctypes.c_void_p(0))

    def _on_log(self, level: int, text: bytes | None, _user: ctypes.c_void_p) -> None:
        if not text:
            return
        self._chunks.append(text)
        if level >= _WARN:
            log.log(logging.ERROR if level == _ERROR else logging.WARNING, "%s",
                    text.decode("utf-8", "replace").rstrip())

    def recent(self, n: int = 40) -> list[str]:
        """The last ``n`` non-empty lines."""
        text = b"".join(self._chunks).decode("utf-8", "replace")
        return [line for line in text.splitlines() if line.strip()][-n:]

    def contains(self, needle: str, n: int = 80) -> str | None:
        """The most recent of the last ``n`` lines containing ``needle``."""
        for line in reversed(self.recent(n)):
            if needle in line:
                return line
        return None
