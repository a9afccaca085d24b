"""The one long-lived worker that owns the engine, on its own QThread.

Every call into the worker is a queued signal, every result comes back as a queued signal: the UI
thread never waits for the engine. Cancelling does not go through the queue (the worker is busy in
the stream then): the caller keeps the request's ``CancelToken`` and sets it from the UI thread.
Shutdown is flag → cancel → queued ``shutdown`` (closes the engine on its own thread) → quit → wait.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from visiondesk.engine import (
    CancelToken,
    EngineCrashed,
    Finished,
    Message,
    ModelSpec,
    SamplingParams,
    StageChanged,
    StopReason,
    TextDelta,
    VisionDeskError,
)
from visiondesk.engine.llama import LocalEngine

log = logging.getLogger(__name__)

TEXT_BATCH_S = 0.03  # coalesce fast tokens so the UI thread gets ~30 text signals a second at most


class EngineWorker(QObject):
    """Lives on the engine thread. Its slots block there; its signals report back."""

    loaded = Signal(object)  # LoadResult
    load_failed = Signal(str)
    load_error = Signal(object)  # the same failure as an exception, for a message chosen by its code
    stage = Signal(int, str, int, int)  # request id, Stage value, image index, image total (0 if none)
    text = Signal(int, str)  # request id, new text
    finished = Signal(int, object)  # request id, Finished
    stopped = Signal()

    def __init__(self, log_dir: Path | None) -> None:
        super().__init__()
        self._log_dir = log_dir
        self._engine: LocalEngine | None = None
        self.stopping = False  # set from the UI thread at shutdown; checked before each job

    def _get_engine(self) -> LocalEngine:
        if self._engine is None:
            self._engine = LocalEngine(log_dir=self._log_dir)
        return self._engine

    @Slot(object)
    def load(self, spec: ModelSpec) -> None:
        """Load a model (blocking here, never on the UI thread)."""
        if self.stopping:
            return
        try:
            result = self._get_engine().load(spec)
        except VisionDeskError as exc:
            log.warning("model load failed: %s", exc)
            self.load_error.emit(exc)
            self.load_failed.emit(str(exc))
        except Exception as exc:  # an engine bug must not kill the thread silently
            log.exception("unexpected error while loading %s", spec.model)
            self.load_error.emit(exc)
            self.load_failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.loaded.emit(result)

    @Slot(int, object, object, object)
    def chat(self, request_id: int, messages: Sequence[Message], params: SamplingParams,
             cancel: CancelToken) -> None:
        """Stream one answer, re-emitting the engine's events as signals."""
        if self.stopping or cancel.cancelled:
            self.finished.emit(request_id, Finished(StopReason.CANCELLED, time.monotonic()))
            return
        pending: list[str] = []
        last_emit = 0.0
        try:
            for ev in self._get_engine().chat(list(messages), params, cancel=cancel):
                if isinstance(ev, TextDelta):
                    pending.append(ev.text)
                    now = time.monotonic()
                    if now - last_emit >= TEXT_BATCH_S:
                        self.text.emit(request_id, "".join(pending))
                        pending.clear()
                        last_emit = now
                    continue
                if pending:
                    self.text.emit(request_id, "".join(pending))
                    pending.clear()
                if isinstance(ev, StageChanged):
                    self.stage.emit(request_id, str(ev.stage), ev.index or 0, ev.total or 0)
                elif isinstance(ev, Finished):
                    self.finished.emit(request_id, ev)
                    return
        except VisionDeskError as exc:
            self._fail(request_id, pending, exc)
            return
        except (OSError, EOFError) as exc:  # the pipe to a dead child process: report it as a crash
            log.warning("engine connection lost in request %d: %r", request_id, exc)
            self._fail(request_id, pending, EngineCrashed(None))
            return
        except Exception as exc:
            log.exception("unexpected error in chat request %d", request_id)
            self._fail(request_id, pending, VisionDeskError(f"{type(exc).__name__}: {exc}"))
            return
        self._fail(request_id, pending, VisionDeskError("The answer ended without a result."))

    def _fail(self, request_id: int, pending: list[str], exc: VisionDeskError) -> None:
        if pending:
            self.text.emit(request_id, "".join(pending))
        self.finished.emit(request_id, Finished(StopReason.ERROR, time.monotonic(), error=exc))

    @Slot()
    def shutdown(self) -> None:
        """Stop the engine's child process, then end this thread's event loop."""
        self.stopping = True
        if self._engine is not None:
            try:
                self._engine.close()
            except Exception:
                log.exception("engine close failed")
            self._engine = None
        self.stopped.emit()
        thread = self.thread()
        thread.quit()

    def close_from_outside(self) -> None:
        """Last resort when the thread did not stop in time (e.g. blocked in a load)."""
        if self._engine is not None:
            self._engine.close()


class EngineThread(QObject):
    """Owns the QThread and the worker; the UI talks to the engine only through this object."""

    _load_requested = Signal(object)
    _chat_requested = Signal(int, object, object, object)
    _shutdown_requested = Signal()

    def __init__(self, log_dir: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("engine")
        self.worker = EngineWorker(log_dir)
        self.worker.moveToThread(self.thread)
        queued = Qt.ConnectionType.QueuedConnection
        self._load_requested.connect(self.worker.load, queued)
        self._chat_requested.connect(self.worker.chat, queued)
        self._shutdown_requested.connect(self.worker.shutdown, queued)
        self._next_id = 0
        self._tokens: dict[int, CancelToken] = {}
        self.worker.finished.connect(self._forget, queued)
        self.thread.start()

    def load(self, spec: ModelSpec) -> None:
        """Ask the worker to load ``spec``; answers with ``worker.loaded`` or ``worker.load_failed``."""
        self._load_requested.emit(spec)

    def chat(self, messages: Sequence[Message], params: SamplingParams) -> int:
        """Start a request; returns its id. Its events come back through the worker's signals."""
        self._next_id += 1
        token = CancelToken()
        self._tokens[self._next_id] = token
        self._chat_requested.emit(self._next_id, tuple(messages), params, token)
        return self._next_id

    def cancel(self, request_id: int | None = None) -> None:
        """Cancel one request, or all of them (thread-safe: sets the token directly)."""
        for rid, token in list(self._tokens.items()):
            if request_id is None or rid == request_id:
                token.cancel()

    @Slot(int, object)
    def _forget(self, request_id: int, _finished: object) -> None:
        self._tokens.pop(request_id, None)

    def stop(self, timeout_ms: int = 10_000) -> bool:
        """Flag → cancel → shutdown (engine closes on its thread) → quit → wait. True if it stopped."""
        if not self.thread.isRunning():
            return True
        self.worker.stopping = True
        self.cancel()
        self._shutdown_requested.emit()
        stopped = self.thread.wait(timeout_ms)
        if not stopped:
            log.warning("engine thread did not stop within %d ms; closing the engine from here", timeout_ms)
            self.worker.close_from_outside()
            self.thread.quit()
            stopped = self.thread.wait(2000)
        return stopped
