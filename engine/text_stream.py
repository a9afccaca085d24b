"""Turns token bytes into text: whole UTF-8 characters only, with stop strings held back.

Pure Python so it can be tested without a model. Each token's bytes go in once; nothing already
decoded is decoded again (llama-cpp-python's streaming re-detokenizes the whole answer per token).
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence


class TextStream:
    """Incremental UTF-8 decoding plus stop-string detection."""

    def __init__(self, stop: Sequence[str] = ()) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._stop = [s for s in stop if s]
        self._hold = max((len(s) for s in self._stop), default=1) - 1
        self._pending = ""  # decoded but not yet released (could start a stop string)
        self.stopped_by: str | None = None

    def feed(self, data: bytes) -> str:
        """Add a token's bytes; return newly releasable text (may be empty)."""
        if self.stopped_by is not None:
            return ""
        self._pending += self._decoder.decode(data)
        return self._release(final=False)

    def finish(self) -> str:
        """Flush at the end of generation; an unfinished UTF-8 sequence becomes U+FFFD."""
        if self.stopped_by is None:
            self._pending += self._decoder.decode(b"", final=True)
        return self._release(final=True)

    def _release(self, final: bool) -> str:
        if self.stopped_by is not None:
            return ""
        if self._stop:
            hits = [(i, s) for s in self._stop if (i := self._pending.find(s)) >= 0]
            if hits:
                i, s = min(hits)
                out = self._pending[:i]
                self._pending = ""
                self.stopped_by = s
                return out
        if final or not self._stop:
            out, self._pending = self._pending, ""
        else:
            keep = self._partial_stop_suffix()
            cut = len(self._pending) - keep
            out, self._pending = self._pending[:cut], self._pending[cut:]
        return out

    def _partial_stop_suffix(self) -> int:
        """Length of the longest tail of pending text that is a proper prefix of a stop string."""
        best = 0
        tail = self._pending[-self._hold:] if self._hold else ""
        for s in self._stop:
            for n in range(min(len(s) - 1, len(tail)), best, -1):
                if s.startswith(tail[-n:]):
                    best = n
                    break
        return best
