"""The one long-lived worker that owns the backend; it lives on the engine thread (``worker.EngineThread``).

The worker is handed a factory of its backends and never constructs one itself: given what is to be
loaded (a ``ModelSpec``, a ``RemoteTarget``), the factory returns the backend for it; switching between
backends closes the one left behind (a local model's memory, a server connection). Its slots block on the
engine thread; its signals report back.

Images attached in the composer are handed over as they come (``prepare_images``), so that the local engine
encodes them while the question is typed; the answer never waits for that (the engine stops it for an answer).
Pictures deleted for good are forgotten by the local engine (``forget_images``).

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

from PySide6.QtCore import QObject, Signal, Slot
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

from .engine_requests import ForeignChat
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
