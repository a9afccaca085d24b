"""The engine process a ``LocalEngine`` talks to: started on demand, replaced when lost, closed from any thread.

One request at a time goes through ``request`` (a single reply) or a streaming loop of its own
(``chat_stream``, ``parallel_chat``); a child that dies, hangs or answers out of turn is discarded here,
and the next request starts a new one.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from ..errors import EngineClosed, EngineCrashed, EngineHung, EngineProtocolError, VisionDeskError
from ..requests import Tuning
from .child_process import ChildGone, ChildHung, ChildProcess, Deadlines
from .worker.protocol import ChildMessage, ErrorReply, ParentMessage, Quit

log = logging.getLogger(__name__)

QUIT_WAIT_S = 3.0  # an idle child asked to quit gets this long before it is killed


class ChildLink:
    """The current engine process (``child``, or None) and the rules for starting, losing and closing it."""

    def __init__(self, log_dir: Path | None, deadlines: Deadlines) -> None:
        """A link whose processes log into ``log_dir`` and whose waits are bounded by ``deadlines``."""
        self._log_dir = log_dir
        self.deadlines = deadlines
        self._lock = threading.Lock()  # guards child and closed against close() from another thread
        self.child: ChildProcess | None = None
        self.closed = False

    def reopen(self) -> None:
        """Allow new processes again after ``close`` (an explicit load starts over)."""
        with self._lock:
            self.closed = False

    def live(self) -> ChildProcess | None:
        """The child while it runs, else None."""
        child = self.child
        return child if child is not None and child.alive() else None

    def for_tuning(self, tuning: Tuning) -> ChildProcess:
        """The running child if it was started with ``tuning``'s process settings, else a new one."""
        child = self.live()
        if child is None or child.flushes_denormals != tuning.flush_denormals:
            child = self.start(tuning)
        return child

    def start(self, tuning: Tuning) -> ChildProcess:
        """Start a child (replacing any) and connect to it; raises ``VisionDeskError``."""
        self.discard()
        with self._lock:
            if self.closed:
                raise EngineClosed("starting the model process")
            child = self.child = ChildProcess.spawn(self._log_dir, tuning.flush_denormals)
        try:
            child.connect(self.deadlines.request_s)
        except (ChildGone, ChildHung) as lost:
            raise self.lost(lost, "starting the model process") from None
        return child

    def discard(self) -> None:
        """Forget the child and end its process."""
        with self._lock:
            child, self.child = self.child, None
        if child is not None:
            child.discard()

    def lost(self, lost: ChildGone | ChildHung, during: str) -> VisionDeskError:
        """The error for a child that died, hung or was closed; the child is gone afterwards."""
        self.discard()
        if self.closed:
            return EngineClosed(during)
        if isinstance(lost, ChildHung):
            log.error("engine process stopped answering for %.1f s while %s; killed", lost.waited_s, during)
            return EngineHung(during, lost.waited_s)
        log.error("engine process died (exit code %s) while %s", lost.exitcode, during)
        return EngineCrashed(lost.exitcode, during)

    def unexpected(self, reply: ChildMessage, request: ParentMessage) -> EngineProtocolError:
        """An answer this side does not understand: the child's state is unknown, so it goes."""
        self.discard()
        log.error("engine process answered %r to %s", reply, type(request).__name__)
        return EngineProtocolError(f"{type(reply).__name__} in answer to {type(request).__name__}")

    def request(self, child: ChildProcess, message: ParentMessage, during: str, deadline_s: float) -> ChildMessage:
        """Send a request and wait for its single reply; an error reply is raised."""
        child.cancel(False)
        child.busy = True
        try:
            child.send(message)
            reply = child.reply(deadline_s)
        except (ChildGone, ChildHung) as lost:
            raise self.lost(lost, during) from None
        child.busy = False
        match reply:
            case ErrorReply():
                raise reply.error()
            case _:
                return reply

    def settle(self) -> None:
        """Let a request the caller abandoned end in the child; a child that cannot is replaced later."""
        child = self.child
        if child is None or not child.draining:
            return
        try:
            child.drain(self.deadlines.silence_s)
        except (ChildGone, ChildHung) as lost:
            log.warning("the engine process did not finish an abandoned request: %r", lost)
            self.discard()

    def abandoned(self, child: ChildProcess) -> None:
        """The caller stopped iterating a streaming request: stop it, and read its end before the next one."""
        if child is self.child and child.alive():
            child.cancel()
            child.draining = True

    def close(self) -> None:
        """Stop the child: an idle one is asked to quit, a busy one killed by its pid. Safe from any thread."""
        with self._lock:
            self.closed = True
            child = self.child
        if child is None:
            return
        if child.busy or child.draining or not child.alive():
            child.kill()
        else:
            child.cancel()
            child.quit(Quit(), QUIT_WAIT_S)
        with self._lock:
            if self.child is child:
                self.child = None
        child.discard()
