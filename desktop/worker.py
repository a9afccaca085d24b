"""The one long-lived worker that owns the backend, on its own QThread.

The worker is handed a factory of its backends and never constructs one itself: given what is to be
loaded (a ``ModelSpec``, a ``RemoteTarget``), the factory returns the backend for it; switching between
backends closes the one left behind (a local model's memory, a server connection).

Every call into the worker is a queued signal, every result comes back as a queued signal: the UI
thread never waits for the engine. Cancelling does not go through the queue
(the worker is busy in the stream then): the caller keeps the request's ``CancelToken`` and sets it
from the UI thread. Shutdown is flag → cancel → close the backend (``Backend.close`` is safe from any
thread: a running request ends at once) → queued ``shutdown`` → quit → wait.

Images attached in the composer are handed over as they come (``prepare_images``), so that the local engine
encodes them while the question is typed; the answer never waits for that (the engine stops it for an answer).

Other threads (the API server, a batch job) use the same backend through ``chat_for`` and ``run_slots`` (parallel
slots): queued here like the window's chats, events back through a plain queue (foreign_jobs.py), wrapped as a
``Backend`` by ``SharedEngineBackend``. One backend, one thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from visiondesk.engine import (
    Backend,
    BackendInfo,
    CancelToken,
    EngineCrashed,
    Finished,
    ImageAttachment,
    ImageSource,
    Message,
    SamplingParams,
    StageChanged,
    StopReason,
    TextDelta,
    VisionDeskError,
)
from visiondesk.engine.llama.disk_cache import DiskCache

from .engine_requests import ForeignChat, conversation_key
from .foreign_jobs import ForeignSlots, QueuedWork, answer_chat, answer_slots

log = logging.getLogger(__name__)

TEXT_BATCH_S = 0.03  # coalesce fast tokens so the UI thread gets ~30 text signals a second at most

BackendFactory = Callable[[object], Backend[Any]]  # target to load (None: none yet) -> its backend


class EngineWorker(QObject):
    """Lives on the engine thread. Its slots block there; its signals report back."""

    loaded = Signal(object)  # LoadResult
    load_failed = Signal(str)
    load_error = Signal(object)  # the same failure as an exception, for a message chosen by its code
    stage = Signal(int, str, int, int)  # request id, Stage value, image index, image total (0 if none)
    text = Signal(int, str)  # request id, new text
    finished = Signal(int, object)  # request id, Finished
    planned = Signal(int, object)  # plan request id, PromptPlan or the VisionDeskError that prevented it
    stopped = Signal()

    def __init__(self, make_backend: BackendFactory) -> None:
        super().__init__()
        self._make_backend = make_backend
        self._engine: Backend[Any] | None = None  # made on first use, on the engine thread
        self.stopping = False  # set from the UI thread at shutdown; checked before each job
        self.last_switch = 0  # the number of the last conversation switch asked (set from the UI thread)
        self.queued = QueuedWork()  # chats, plans, loads asked and not yet begun: a batch's parallel job gives way

    def _get_engine(self) -> Backend[Any]:
        if self._engine is None:
            self._engine = self._make_backend(None)
        return self._engine

    def _engine_for(self, target: object) -> Backend[Any]:
        engine = self._make_backend(target)
        if self._engine is not None and engine is not self._engine:
            self.close_backend()  # the backend left behind lets go of its model or connection
        self._engine = engine
        return engine

    @Slot(object)
    def load(self, target: object) -> None:
        """Load a model (a ``ModelSpec``, a ``RemoteTarget``), blocking here, never on the UI thread."""
        self.queued.took()
        if self.stopping:
            return
        try:
            result = self._engine_for(target).load(target)
        except VisionDeskError as exc:
            log.warning("model load failed: %s", exc)
            if not self.stopping:  # closed for shutdown: nobody is waiting for this load any more
                self.load_error.emit(exc)
                self.load_failed.emit(str(exc))
        except Exception as exc:  # an engine bug must not kill the thread silently
            log.exception("unexpected error while loading %s", target)
            self.load_error.emit(exc)
            self.load_failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.loaded.emit(result)

    @Slot(int, object, object, object)
    def chat(self, request_id: int, messages: Sequence[Message], params: SamplingParams,
             cancel: CancelToken) -> None:
        """Stream one answer, re-emitting the engine's events as signals."""
        self.queued.took()
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
        self._fail(request_id, pending, VisionDeskError(self.tr("The answer ended without a result.")))

    @property
    def info(self) -> BackendInfo | None:
        """What the backend has loaded (a plain read: safe from any thread)."""
        engine = self._engine
        return engine.info if engine is not None else None

    @Slot(object)
    def chat_for(self, job: ForeignChat) -> None:
        """Answer another thread's chat here, in turn with the window's, handing its events over as they come."""
        self.queued.took()
        answer_chat(self._get_engine, job, self.stopping)

    @Slot(object)
    def run_slots(self, job: ForeignSlots) -> None:
        """Answer part of another thread's parallel job here, until it is done or a chat or load is waiting."""
        answer_slots(self._engine, job, self.stopping, lambda: self.stopping or bool(self.queued))

    @Slot(object, object)
    def prepare_images(self, images: Sequence[ImageSource | ImageAttachment],
                       history: Sequence[Message] | None) -> None:
        """Let the backend prepare images attached in the composer (the local engine encodes them ahead)."""
        if self.stopping or self._engine is None:
            return
        try:
            self._engine.prepare_images(list(images), history)
        except VisionDeskError as exc:  # the answer that carries the image will say what is wrong with it
            log.info("images not prepared ahead: %s", exc)

    @Slot(object)
    def drop_prepared_images(self, images: Sequence[ImageSource | ImageAttachment]) -> None:
        """Images left the composer unsent: the backend stops preparing them and frees what it prepared."""
        if self.stopping or self._engine is None:
            return
        try:
            self._engine.drop_prepared_images(list(images))
        except VisionDeskError as exc:
            log.info("prepared images not dropped: %s", exc)

    @Slot(object)
    def forget_images(self, digests: Sequence[str]) -> None:
        """Pictures deleted for good: the local engine forgets what it derived from them (a server keeps its own)."""
        forget = getattr(self._engine, "forget_images", None)  # only the local engine keeps embeddings here
        if self.stopping or forget is None:
            return
        forget(list(digests))

    @Slot(int, object)
    def plan(self, request_id: int, messages: Sequence[Message]) -> None:
        """What ``messages`` will take and how each image will be read (nothing is evaluated)."""
        self.queued.took()
        if self.stopping:
            return
        plan = getattr(self._get_engine(), "plan", None)  # only the local engine can measure images beforehand
        if plan is None:
            self.planned.emit(request_id, VisionDeskError(self.tr(
                "This model runs on a server, which decides how it reads images: they are measured there.")))
            return
        try:
            self.planned.emit(request_id, plan(list(messages)))
        except VisionDeskError as exc:
            self.planned.emit(request_id, exc)
        except Exception as exc:
            log.exception("unexpected error in plan request %d", request_id)
            self.planned.emit(request_id, VisionDeskError(f"{type(exc).__name__}: {exc}"))

    @Slot(object, object, int)
    def switch_conversation(self, leaving: str | None, opening: str | None, switch: int = 0) -> None:
        """Save the state of the conversation left and bring back the one opened, where the backend keeps states.

        In turn with the chats: an answer still being written for the conversation left is in what is saved.
        ``switch``: the request's number; a restore that a later switch (already asked) makes moot is skipped,
        so paging through the sidebar reads no state but the last one's. Not while the model has a batch job's
        sequences: llama.cpp refuses a state saved with another number of them ("n_stream mismatch"; the refused
        file is deleted), so those on disk wait for the model to have one again.
        """
        engine = self._engine  # none made yet: nothing to save, nothing loaded to restore into
        save, restore = getattr(engine, "save_state", None), getattr(engine, "restore_state", None)
        if self.stopping or save is None or restore is None or getattr(engine, "parallel_slots", 1) > 1:
            return  # (a server keeps its own cache)
        try:
            if leaving is not None:
                save(leaving)
            if opening is not None and switch >= self.last_switch:
                restore(opening)
        except VisionDeskError as exc:  # a lost state costs time, never an answer
            log.warning("conversation state not kept: %s", exc)

    @Slot(object, object)
    def save_conversation(self, conversation: str, done: threading.Event) -> None:
        """At quit: save ``conversation``'s state, then set ``done``."""
        try:
            self.switch_conversation(conversation, None)
        finally:
            done.set()

    @Slot(object, object)
    def forget_conversation(self, conversation: str, cache: DiskCache) -> None:
        """A conversation was deleted: its saved state goes, also one a switch away from it has just saved."""
        cache.forget_state(conversation)

    def _fail(self, request_id: int, pending: list[str], exc: VisionDeskError) -> None:
        if pending:
            self.text.emit(request_id, "".join(pending))
        self.finished.emit(request_id, Finished(StopReason.ERROR, time.monotonic(), error=exc))

    @Slot()
    def shutdown(self) -> None:
        """Close the backend, then end this thread's event loop."""
        self.stopping = True
        self.close_backend()
        self._engine = None
        self.stopped.emit()
        thread = self.thread()
        thread.quit()

    def close_backend(self) -> None:
        """Close the backend; safe from any thread (``Backend.close``): a load or answer running here ends now."""
        engine = self._engine
        if engine is None:
            return
        try:
            engine.close()
        except Exception:
            log.exception("engine close failed")


class EngineThread(QObject):
    """Owns the QThread and the worker; the UI talks to the engine only through this object."""

    _load_requested = Signal(object)
    _chat_requested = Signal(int, object, object, object)
    _foreign_chat_requested = Signal(object)
    _slots_requested = Signal(object)
    _plan_requested = Signal(int, object)
    _switch_requested = Signal(object, object, int)
    _save_requested = Signal(object, object)
    _forget_requested = Signal(object, object)
    _prepare_requested = Signal(object, object)
    _drop_requested = Signal(object)
    _forget_images_requested = Signal(object)
    _shutdown_requested = Signal()

    def __init__(self, make_backend: BackendFactory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("engine")
        self.worker = EngineWorker(make_backend)
        self.worker.moveToThread(self.thread)
        queued = Qt.ConnectionType.QueuedConnection
        self._load_requested.connect(self.worker.load, queued)
        self._chat_requested.connect(self.worker.chat, queued)
        self._foreign_chat_requested.connect(self.worker.chat_for, queued)
        self._slots_requested.connect(self.worker.run_slots, queued)
        self._plan_requested.connect(self.worker.plan, queued)
        self._switch_requested.connect(self.worker.switch_conversation, queued)
        self._save_requested.connect(self.worker.save_conversation, queued)
        self._forget_requested.connect(self.worker.forget_conversation, queued)
        self._prepare_requested.connect(self.worker.prepare_images, queued)
        self._drop_requested.connect(self.worker.drop_prepared_images, queued)
        self._forget_images_requested.connect(self.worker.forget_images, queued)
        self._shutdown_requested.connect(self.worker.shutdown, queued)
        self._next_id = 0
        self._tokens: dict[int, CancelToken] = {}
        self.worker.finished.connect(self._forget, queued)
        self.thread.start()

    def load(self, target: object) -> None:
        """Ask the worker to load ``target``; answers with ``worker.loaded`` or ``worker.load_failed``."""
        self.worker.queued.add()
        self._load_requested.emit(target)

    def chat(self, messages: Sequence[Message], params: SamplingParams) -> int:
        """Start a request; returns its id. Its events come back through the worker's signals."""
        self._next_id += 1
        token = CancelToken()
        self._tokens[self._next_id] = token
        self.worker.queued.add()
        self._chat_requested.emit(self._next_id, tuple(messages), params, token)
        return self._next_id

    def chat_for(self, job: ForeignChat) -> None:
        """Queue another thread's chat on the engine thread (callable from any thread); events go to ``job.events``."""
        self.worker.queued.add()
        self._foreign_chat_requested.emit(job)

    def run_slots(self, job: ForeignSlots) -> None:
        """Queue part of another thread's parallel job on the engine thread (any thread); events: ``job.events``."""
        self._slots_requested.emit(job)

    @property
    def accepting(self) -> bool:
        """False once the engine thread is stopping: queued chats would never run."""
        return not self.worker.stopping and self.thread.isRunning()

    def plan(self, messages: Sequence[Message]) -> int:
        """Ask what ``messages`` will take; returns the request id ``worker.planned`` answers with."""
        self._next_id += 1
        self.worker.queued.add()
        self._plan_requested.emit(self._next_id, tuple(messages))
        return self._next_id

    def switch_conversation(self, leaving: int | None, opening: int | None) -> None:
        """The window shows another conversation: the engine keeps the one left on disk and restores the one opened."""
        if leaving != opening:
            self.worker.last_switch += 1
            self._switch_requested.emit(conversation_key(leaving), conversation_key(opening), self.worker.last_switch)

    def save_conversation(self, conversation_id: int | None, timeout_s: float) -> bool:
        """At quit, before ``stop``: save the open conversation's state, waiting up to ``timeout_s``; True if done."""
        key = conversation_key(conversation_id)
        if key is None or not self.accepting:
            return False
        done = threading.Event()
        self._save_requested.emit(key, done)
        return done.wait(timeout_s)

    def forget_conversation(self, conversation_id: int, cache: DiskCache) -> None:
        """A deleted conversation's state leaves ``cache`` now, and again after any save of it queued before."""
        key = conversation_key(conversation_id)
        assert key is not None
        cache.forget_state(key)  # at once: the engine thread may be busy with a long answer
        self._forget_requested.emit(key, cache)  # in turn: the switch away from it saves it there, maybe later

    def prepare_images(self, images: Sequence[ImageSource | ImageAttachment],
                       history: Sequence[Message] | None = None) -> None:
        """Ask the backend to prepare ``images`` for a question after ``history`` (any thread; nothing waits)."""
        self._prepare_requested.emit(tuple(images), None if history is None else tuple(history))

    def drop_prepared_images(self, images: Sequence[ImageSource | ImageAttachment]) -> None:
        """``images`` will not be sent: the backend stops preparing them (any thread)."""
        self._drop_requested.emit(tuple(images))

    def forget_images(self, digests: Sequence[str]) -> None:
        """Pictures deleted for good (pixel digests): the engine forgets them, in turn (any thread)."""
        self._forget_images_requested.emit(tuple(digests))

    def cancel(self, request_id: int | None = None) -> None:
        """Cancel one request, or all of them (thread-safe: sets the token directly)."""
        for rid, token in list(self._tokens.items()):
            if request_id is None or rid == request_id:
                token.cancel()

    @Slot(int, object)
    def _forget(self, request_id: int, _finished: object) -> None:
        self._tokens.pop(request_id, None)

    def stop(self, timeout_ms: int = 10_000) -> bool:
        """Flag → cancel → close the backend from here → shutdown → quit → wait. True if it stopped.

        Closing from this thread is what makes it prompt: a load of a large model or an answer in
        progress on the engine thread ends at once instead of running to its end.
        """
        if not self.thread.isRunning():
            return True
        self.worker.stopping = True
        self.cancel()
        self.worker.close_backend()
        self._shutdown_requested.emit()
        stopped = self.thread.wait(timeout_ms)
        if not stopped:
            log.warning("engine thread did not stop within %d ms", timeout_ms)
            self.thread.quit()
            stopped = self.thread.wait(2000)
        return stopped
