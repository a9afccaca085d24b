"""The engine thread: the UI's one way to the backend, whose ``EngineWorker`` (engine_worker.py) lives on a QThread.

Every call into the worker is a queued signal, every result comes back as a queued signal: the UI
thread never waits for the engine. Cancelling does not go through the queue
(the worker is busy in the stream then): the caller keeps the request's ``CancelToken`` and sets it
from the UI thread. Shutdown is flag → cancel → close the backend (``Backend.close`` is safe from any
thread: a running request ends at once) → queued ``shutdown`` → quit → wait.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from visiondesk.engine import CancelToken, ImageAttachment, ImageSource, Message, SamplingParams
from visiondesk.engine.llama.disk_cache import DiskCache

from .engine_requests import ForeignChat, conversation_key
from .engine_worker import BackendFactory, EngineWorker
from .foreign_jobs import ForeignSlots

log = logging.getLogger(__name__)


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
