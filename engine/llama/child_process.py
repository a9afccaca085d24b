"""The engine process as the parent holds it: started, spoken to with deadlines, killable from any thread.

``LocalEngine`` uses one ``ChildProcess`` at a time from its own thread. ``kill`` and ``discard`` may
come from any other thread (the app closing while a request runs): they act on the pid, and the pipe is
only ever closed between two reads or writes, never under one.
"""

from __future__ import annotations

import ast
import concurrent.futures
import dataclasses
import logging
import os
import queue
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Client, Connection
from pathlib import Path
from typing import Any

from ..requests import ModelSpec
from .worker.cancel_flag import CancelFlag
from .worker.parallel_protocol import MoreRequests, NeedRequests, ParallelDone
from .worker.protocol import Alive, ChildMessage, Done, ErrorReply, NeedPixels, ParentMessage, Pixels, PrepareState

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Deadlines:
    """How long the parent waits for the engine process before it declares it hung, kills it and says so.

    Seconds. A ``LocalEngine(deadlines=...)`` argument; the defaults are generous, so that only a process
    that really stopped answering is stopped.
    """

    load_s: float = 600.0  # loading a model: a large one from a slow disk takes minutes
    request_s: float = 30.0  # starting the process, system information, resetting the conversation
    # During an answer: the longest silence between two messages of the process. Long native work (an
    # image encode, a prompt batch on a slow CPU) reports its progress a few times a second (``Alive``),
    # so silence means stuck; generous all the same, for native steps that report nothing.
    silence_s: float = 300.0

    def __post_init__(self) -> None:
        for name, value in dataclasses.asdict(self).items():
            if not value > 0:
                raise ValueError(f"the deadline {name} must be a positive number of seconds, not {value!r}")


class ChildGone(Exception):
    """The process died (or was closed); ``exitcode`` as the OS reports it, None if unknown."""

    def __init__(self, exitcode: int | None) -> None:
        super().__init__(exitcode)
        self.exitcode = exitcode


class ChildHung(Exception):
    """The process did not answer within ``waited_s``."""

    def __init__(self, waited_s: float) -> None:
        super().__init__(waited_s)
        self.waited_s = waited_s


class _Spawner:
    """Starts every engine process from one thread that lives as long as this process.

    On Linux the child asks for SIGKILL when its parent dies (``engine/parent_watch.py``); the kernel means
    the parent *thread*. Started from a short-lived thread, a child would die with that thread.
    """

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[concurrent.futures.Future[subprocess.Popen[bytes]], list[str],
                                            dict[str, Any]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def popen(self, cmd: list[str], **kw: Any) -> subprocess.Popen[bytes]:
        """``subprocess.Popen(cmd, **kw)``, run on the spawner thread."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, name="engine-spawner", daemon=True)
                self._thread.start()
        done: concurrent.futures.Future[subprocess.Popen[bytes]] = concurrent.futures.Future()
        self._jobs.put((done, cmd, kw))
        return done.result()

    def _serve(self) -> None:
        while True:
            done, cmd, kw = self._jobs.get()
            try:
                done.set_result(subprocess.Popen(cmd, **kw))
            except BaseException as exc:  # handed to the caller, who raises it
                done.set_exception(exc)


_SPAWNER = _Spawner()


class ChildProcess:
    """One engine process: its pipe, its cancel flag and its pid."""

    def __init__(self, proc: subprocess.Popen[bytes], flag: CancelFlag, key: bytes, flushes_denormals: bool) -> None:
        self._proc = proc
        self._flag = flag
        self._key = key
        self.flushes_denormals = flushes_denormals  # fixed at start (Tuning.flush_denormals)
        self._conn: Connection | None = None
        self._io = threading.Lock()  # held while the pipe is read or written; close takes it too
        self._discarded = False
        self.busy = False  # a request was sent and its last reply has not been read yet
        self.draining = False  # the caller abandoned a request that still runs in the process
        self.model: ModelSpec | None = None  # what it has loaded
        self.prepared = PrepareState()  # the latest notice of its images encoded ahead (read with any message)

    @classmethod
    def spawn(cls, log_dir: Path | None, flush_denormals: bool) -> ChildProcess:
        """Start the process (``connect`` then waits for it to listen)."""
        flag = CancelFlag.create()
        key = os.urandom(32)
        env = {**os.environ, "VISIONDESK_ENGINE_AUTHKEY": key.hex()}
        stderr: Any = subprocess.DEVNULL
        if log_dir:
            log_dir.mkdir(parents=True, exist_ok=True)
            stderr = open(log_dir / "engine-stderr.log", "ab")  # noqa: SIM115 - the child owns it
        child = ["--visiondesk-engine-child"] if getattr(sys, "frozen", False) else \
            ["-m", "visiondesk.engine.llama.worker.child"]  # a frozen app re-runs itself (see visiondesk.cli)
        cmd = [sys.executable, *child, str(os.getpid()), "1" if flush_denormals else "0", str(flag.path),
               str(log_dir or "")]
        try:
            proc = _SPAWNER.popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, env=env)
        except BaseException:
            flag.close()
            raise
        finally:
            if stderr is not subprocess.DEVNULL:
                stderr.close()
        return cls(proc, flag, key, flush_denormals)

    @property
    def pid(self) -> int:
        """The process id."""
        return self._proc.pid

    def alive(self) -> bool:
        """Whether the process still runs."""
        return self._proc.poll() is None

    def connect(self, deadline_s: float) -> None:
        """Read the address the process listens on and connect; raises ``ChildGone`` or ``ChildHung``."""
        result: list[Connection] = []

        def read_address() -> None:
            assert self._proc.stdout is not None
            try:
                line = self._proc.stdout.readline()
                if line:
                    result.append(Client(ast.literal_eval(line.decode().strip()), authkey=self._key))
            except Exception as exc:  # the process died while we connected: reported below
                log.warning("could not connect to the engine process %s: %r", self.pid, exc)
            finally:
                self._proc.stdout.close()

        reader = threading.Thread(target=read_address, name="engine-connect", daemon=True)
        reader.start()
        reader.join(deadline_s)
        if reader.is_alive():
            self.kill()
            reader.join(5)
            raise ChildHung(deadline_s)
        if not result:
            raise ChildGone(self.exit_code())
        with self._io:
            if self._discarded:  # closed from another thread meanwhile
                result[0].close()
                raise ChildGone(self.exit_code())
            self._conn = result[0]
        log.info("engine process %s started", self.pid)

    def send(self, message: ParentMessage) -> None:
        """Send; raises ``ChildGone`` if the process died (between requests, too)."""
        with self._io:
            try:
                if self._conn is None:
                    raise OSError("the pipe is closed")
                self._conn.send(message)
                return
            except (OSError, EOFError, ValueError):
                pass
        raise ChildGone(self.exit_code())

    def receive(self, timeout: float) -> ChildMessage | None:
        """A message if one arrives within ``timeout``, else None; raises ``ChildGone``.

        A ``PrepareState`` notice is kept in ``prepared`` (and counts as no message): it answers no request.
        """
        with self._io:
            try:
                if self._conn is None:
                    raise OSError("the pipe is closed")
                if self._conn.poll(timeout):
                    msg: ChildMessage = self._conn.recv()
                    if isinstance(msg, PrepareState):
                        self.prepared = msg
                        return None
                    return msg
                if self.alive():
                    return None
            except (OSError, EOFError, ValueError):
                pass
        raise ChildGone(self.exit_code())

    def listen(self, heard: float, silence_s: float) -> tuple[ChildMessage | None, float]:
        """A streaming request's next message (None: none yet) and the time now.

        Raises ``ChildHung`` once nothing was heard for ``silence_s`` since ``heard``, ``ChildGone`` if it died.
        """
        msg = self.receive(0.01)
        now = time.monotonic()
        if msg is None and now - heard > silence_s:
            raise ChildHung(silence_s)
        return msg, now

    def read_notices(self) -> PrepareState:
        """Between requests: read what the process sent on its own (``PrepareState``, an encode's ``Alive``s)."""
        with self._io:
            try:
                while self._conn is not None and self._conn.poll(0):
                    msg = self._conn.recv()
                    if isinstance(msg, PrepareState):
                        self.prepared = msg
                    elif not isinstance(msg, Alive):
                        log.warning("engine process %s sent %r between requests", self.pid, msg)
            except (OSError, EOFError, ValueError):
                pass  # gone: the next request finds out and says so
        return self.prepared

    def reply(self, deadline_s: float) -> ChildMessage:
        """The answer to a request, within ``deadline_s``; raises ``ChildGone`` or ``ChildHung``."""
        until = time.monotonic() + deadline_s
        while True:
            match self.receive(0.05):
                case None:
                    if time.monotonic() > until:
                        raise ChildHung(deadline_s)
                case Alive():  # a late one from an answer that just ended
                    pass
                case msg:
                    return msg

    def drain(self, silence_s: float) -> None:
        """Read on until the request the caller abandoned ends; raises ``ChildGone`` or ``ChildHung``."""
        until = time.monotonic() + silence_s
        while self.draining:
            match self.receive(0.05):
                case None:
                    if time.monotonic() > until:
                        raise ChildHung(silence_s)
                    continue
                case Done() | ErrorReply() | ParallelDone():
                    self.draining = self.busy = False
                case NeedPixels():  # it waits for pixels nobody will use: let it fail
                    self.send(Pixels(None))
                case NeedRequests():  # a parallel job asks for more: there are none
                    self.send(MoreRequests((), more=False))
            until = time.monotonic() + silence_s

    def cancel(self, value: bool = True) -> None:
        """Set (or clear) the shared cancel flag; harmless once discarded."""
        try:
            self._flag.value = int(value)
        except ValueError:  # unmapped by discard() on another thread
            pass

    def exit_code(self, wait_s: float = 2.0) -> int | None:
        """The exit code, waiting up to ``wait_s`` for the process to end; None if it still runs."""
        try:
            return self._proc.wait(wait_s)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """SIGKILL (TerminateProcess) by pid. Safe from any thread, never touches the pipe."""
        try:
            self._proc.kill()
        except OSError:
            pass

    def quit(self, message: ParentMessage, wait_s: float) -> None:
        """Ask the process to exit (``message`` is ``Quit``), and kill it if it has not within ``wait_s``."""
        try:
            self.send(message)
        except ChildGone:
            pass
        if self.exit_code(wait_s) is None:
            log.warning("engine process %s did not quit in time; killing it", self.pid)
            self.kill()

    def discard(self) -> None:
        """Kill the process, close the pipe (after any read or write in progress) and the flag. Idempotent."""
        self.kill()
        with self._io:
            if self._discarded:
                return
            self._discarded = True
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        if self.exit_code() is None:
            log.warning("engine process %s did not exit", self.pid)
        self._flag.close()
