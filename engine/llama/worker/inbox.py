"""The pipe as the child uses it: messages read ahead during speculative work, replies that can be diverted.

A speculative encode (``image_prepare.py``) runs while nobody waits for it, so it must notice a request
that cannot wait. libmtmd calls back between graph nodes; there the child reads whatever has arrived
(reading and unpickling is plain Python: no native call re-enters llama.cpp), keeps it in order for the
serve loop, and decides whether the encode stops (``Preparer``). Reading a conversation into the context
ahead of the question runs the runtime's own chat path, whose messages then go to the preparer instead of
the parent (``Outbox.divert``) and whose pixels come from it (``Inbox.put_first``).
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from typing import Any


class Inbox:
    """``recv`` gives the messages read ahead first, then the pipe's; read errors come back where they belong."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._early: collections.deque[object] = collections.deque()

    def ready(self, timeout: float = 0.0) -> bool:
        """Whether a message (or the pipe's end) is there to read, waiting up to ``timeout`` seconds."""
        return bool(self._early) or bool(self._conn.poll(timeout))

    def recv(self) -> Any:
        """The next message; raises what reading it raised (``EOFError`` when the parent is gone)."""
        if not self._early:
            return self._conn.recv()
        item = self._early.popleft()
        if isinstance(item, BaseException):
            raise item
        return item

    def put_first(self, message: object) -> None:
        """Make ``message`` the next one ``recv`` gives (an answer the child gives itself)."""
        self._early.appendleft(message)

    def read_arrived(self) -> list[object]:
        """Read every message that has arrived, without waiting, and keep them for ``recv``; returns them.

        A message that cannot be read is kept as its exception (``recv`` raises it), and so is the pipe's end.
        """
        new: list[object] = []
        while True:
            try:
                if not self._conn.poll(0):
                    break
                item: object = self._conn.recv()
            except (EOFError, OSError) as exc:
                new.append(exc)
                break
            except Exception as exc:  # a message that does not unpickle: the serve loop answers it
                item = exc
            new.append(item)
        self._early.extend(new)
        return new


class Outbox:
    """Sends to the parent, or to ``divert`` while that is set."""

    def __init__(self, send: Callable[[Any], None]) -> None:
        self._send = send
        self.divert: Callable[[Any], None] | None = None

    def send(self, message: Any) -> None:
        """Send ``message`` where it goes now."""
        divert = self.divert
        if divert is not None:
            divert(message)
        else:
            self._send(message)


class YieldingFlag:
    """The cancel flag as the runtime reads it: during a speculative encode ``also`` may raise it too.

    ``Runtime`` reads ``value`` from libmtmd's graph callback and between steps, so an encode stops there
    both when the parent cancels and when ``also`` says a waiting request needs the process.
    """

    def __init__(self, flag: Any) -> None:
        self.flag = flag
        self.also: Callable[[], bool] | None = None

    @property
    def value(self) -> int:
        """1 when cancel was asked for, or when ``also`` (set during a speculative encode) says stop."""
        if self.flag.value:
            return 1
        also = self.also
        return 1 if also is not None and also() else 0
