"""The PDF process as VisionDesk holds it: started at the first PDF, one request at a time, replaced after a crash.

Every thread that draws a PDF (the composer's checks, the batch page's previews, the API's requests, a batch
job) asks the one ``PdfProcess`` of this process (``pdf_process()``); requests wait for each other, since
PDFium serves one document at a time anyway. A process that dies in a request (a native crash) or sends
nothing for ``silence_s`` (killed then) fails that request with ``PdfProcessFailed``; the next request
starts a fresh process. One left unused for ``idle_s`` is closed, and gives its memory back; the process also
ends with this one (``parent_watch``), and is killed when this one exits normally. What it writes to standard
error goes to ``stderr_log`` when the app names one (its logs folder), so a process that dies says why somewhere.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import NoReturn

from . import pdf_protocol as wire

log = logging.getLogger(__name__)

SILENCE_S = 60.0  # the longest wait for the next page (a page takes well under a second on a laptop)
IDLE_S = 60.0
PDF_CHILD_FLAG = "--visiondesk-pdf-child"  # a frozen app re-runs itself with it: visiondesk.cli has the same


class PdfProcessFailed(Exception):
    """The process ended in the middle of a request (``reason`` "crashed") or was killed for silence ("stuck")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _command() -> list[str]:
    child = [PDF_CHILD_FLAG] if getattr(sys, "frozen", False) else ["-m", "visiondesk.engine.pdf_child"]
    return [sys.executable, *child, str(os.getpid())]


class _Watchdog:
    """Kills ``proc`` unless cancelled within ``seconds``; ``fired`` says whether it did."""

    def __init__(self, proc: subprocess.Popen[bytes], seconds: float) -> None:
        self.fired = False
        self._proc = proc
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        self._proc.kill()

    def cancel(self) -> None:
        """Stop it; once this returns, ``fired`` is final (a kill under way has been made)."""
        self._timer.cancel()
        self._timer.join()


class PdfProcess:
    """One PDF process at a time, started on demand; safe to call from any thread."""

    def __init__(self, silence_s: float = SILENCE_S, idle_s: float = IDLE_S) -> None:
        self.silence_s, self.idle_s = silence_s, idle_s
        self.stderr_log: Path | None = None  # where the process's standard error goes (None: nowhere)
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._idle: threading.Timer | None = None
        atexit.register(self._kill)

    @property
    def pid(self) -> int | None:
        """The running process's id (None: none runs)."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def ask(self, request: wire.Request) -> list[wire.Reply]:
        """Every reply to ``request``, the last one ``Drawn``, ``Counted`` or ``Refused``."""
        with self._lock:
            if self._idle is not None:
                self._idle.cancel()
            try:
                return self._exchange(request)
            finally:
                self._idle = threading.Timer(self.idle_s, self.close)
                self._idle.daemon = True
                self._idle.start()

    def close(self) -> None:
        """End the process (it exits when its input closes); the next request starts another."""
        with self._lock:
            self._end()

    def _exchange(self, request: wire.Request) -> list[wire.Reply]:
        try:
            proc = self._running()
            assert proc.stdin is not None and proc.stdout is not None
            wire.write(proc.stdin, request)
        except OSError as exc:  # it could not start, or died before the request reached it
            self._fail("could not be reached", f"{exc}", "crashed")
        replies: list[wire.Reply] = []
        while True:
            watchdog = _Watchdog(proc, self.silence_s)
            try:
                reply: wire.Request | wire.Reply | Exception | None = wire.read(proc.stdout)
            except Exception as exc:  # a broken message: the rest of this request's replies must not reach the next
                reply = exc
            except BaseException:  # an interrupt: the same, and it goes on up
                watchdog.cancel()
                self._end()
                raise
            watchdog.cancel()
            if watchdog.fired:
                self._fail(f"sent nothing for {self.silence_s:.0f} s and was killed", "", "stuck")
            if reply is None or isinstance(reply, Exception | wire.DrawPages | wire.CountPages):
                self._fail("ended in the middle of a request", f"{reply!r}", "crashed")
            replies.append(reply)
            if not isinstance(reply, wire.PageDrawn):
                return replies

    def _fail(self, what: str, detail: str, reason: str) -> NoReturn:
        proc = self._proc
        log.warning("the PDF process %s %s (exit code %s) %s", proc.pid if proc else "-", what,
                    proc.poll() if proc else None, detail)
        self._end()
        raise PdfProcessFailed(reason)

    def _running(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._end()  # one that died while idle: its pipes closed before the next starts
            with contextlib.ExitStack() as files:
                err = files.enter_context(open(self.stderr_log, "ab")) if self.stderr_log else subprocess.DEVNULL
                self._proc = subprocess.Popen(_command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
            log.info("PDF process %s started", self._proc.pid)
        return self._proc

    def _kill(self) -> None:
        """At exit: kill the process without waiting for a request in flight (its thread may never finish)."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()

    def _end(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        for pipe in (proc.stdin, proc.stdout):
            try:
                if pipe is not None:
                    pipe.close()
            except OSError:
                pass
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


_SHARED: PdfProcess | None = None
_SHARED_LOCK = threading.Lock()


def pdf_process() -> PdfProcess:
    """The PDF process of this app (created, not started, on first use)."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = PdfProcess()
        return _SHARED
