"""How many images a batch job in the window answers at once, and the model's slots for that.

A local model answers several images at once in parallel sequences of one context (``ModelSpec.parallel``),
each with a KV cache of its own. The window's model is loaded with one (a chat needs no more), so a job
that wants more loads the same model again with them first, through the window's own load path. The open
conversation's state is saved before; it is restored once the model is back with one (llama.cpp restores a
state only into a context with as many sequences as it was saved from; see ``EngineWorker.switch_conversation``),
and a question asked meanwhile reads the conversation again. When the job ends
(done, cancelled or failed; not paused, since Resume wants them again) the model is loaded back with one:
the extra KV cache is N times the context, which on a GPU also leaves fewer layers room there, so keeping
it would make every later chat answer slower and the memory stay taken for a job that is over. A reload
costs seconds (the weights come from the page cache); a job of many images is worth two.

A model on a server answers as many requests as it is sent: the job then keeps that many in flight, each on
a connection of its own (as ``visiondesk batch --server`` does), and nothing is reloaded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from visiondesk.core.settings import Settings
from visiondesk.engine import Backend, BackendInfo, VisionDeskError, defaults
from visiondesk.engine.llama import LoadResult
from visiondesk.engine.remote import RemoteTarget, ServerStore

from ..error_text import error_text
from ..worker import EngineThread

log = logging.getLogger(__name__)


class BatchSlots(QObject):
    """The page's "Images at once" choice (kept in the settings) and the slots it takes."""

    ready = Signal()  # the model has the slots the job asked for: it can start
    failed = Signal(str)  # loading them failed (the model in use stays, with one)
    reloading_changed = Signal()  # a load of ours began or ended (``reloading``)

    def __init__(self, engine: EngineThread, settings: Settings, save_settings: Callable[[], None],
                 reload_with_slots: Callable[[int], None], remote_target: Callable[[], RemoteTarget | None],
                 servers: ServerStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.settings = settings
        self._save = save_settings
        self._reload = reload_with_slots
        self._remote_target = remote_target
        self._servers = servers
        self.waiting = False  # a reload for the job is under way
        self.raised = False  # the model was loaded with more slots for a job, to be loaded back with one
        self.reloading = False  # a load of ours (for a job, or back after one) is under way: no job starts now
        self._auto_one: Path | None = None  # the model whose Auto found room for one sequence only
        engine.worker.loaded.connect(self._loaded)
        engine.worker.load_error.connect(self._load_failed)

    @property
    def wanted(self) -> int:
        """The choice: images at once, 0 for Auto."""
        return self.settings.batch_parallel

    def choose(self, n: int) -> None:
        """Remember the page's choice."""
        if n != self.settings.batch_parallel:
            self.settings.batch_parallel = n
            self._save()

    def prepare(self) -> bool:
        """Before a job (UI thread): True if the model is being loaded again with more slots (``ready`` follows)."""
        info = self.engine.worker.info
        if not isinstance(info, LoadResult):
            return False  # a server model: nothing to load
        if info.parallel > 1 if self.wanted == 0 else info.parallel == self.wanted:
            return False
        if self.wanted == 0 and info.model == self._auto_one:  # Auto gave it one before: a reload would again
            return False
        log.info("batch: loading %s again with %s parallel sequences", info.model_name, self.wanted or "auto")
        self.waiting, self.raised, self.reloading = True, self.wanted != 1, True
        self._reload(self.wanted)
        self.reloading_changed.emit()
        return True

    def remote_in_flight(self) -> tuple[RemoteTarget, int] | None:
        """Before a job (UI thread): the server model and the requests to keep in flight, if the model is remote."""
        target = self._remote_target()
        n = self.wanted or defaults.REMOTE_IN_FLIGHT
        return (target, n) if target is not None and n > 1 else None

    def open_remote(self, target: RemoteTarget, n: int) -> list[Backend[Any]]:
        """On the job's thread: ``n`` connections to ``target``, each for one request at a time."""
        from visiondesk.engine.remote import RemoteBackend  # the HTTP client only when a server is used (start-up)

        pool: list[Backend[Any]] = []
        try:
            for _ in range(n):
                backend = RemoteBackend(self._servers)
                pool.append(backend)
                backend.load(target)
        except VisionDeskError:
            for backend in pool:
                backend.close()
            raise
        return pool

    def at_once(self, info: BackendInfo | None, remote: tuple[RemoteTarget, int] | None) -> int:
        """What the job runs at once: the requests in flight on a server, else the local model's slots."""
        if remote is not None:
            return remote[1]
        return info.parallel if isinstance(info, LoadResult) else 1

    def job_ended(self) -> None:
        """The job is over (not paused): the model goes back to one sequence if it was given more for it."""
        if self.raised:
            self.raised, self.reloading = False, True
            log.info("batch: loading the model again with one sequence")
            self._reload(1)
            self.reloading_changed.emit()

    def _loaded(self, result: object) -> None:
        self.reloading = False
        if self.waiting:
            self.waiting = False
            if isinstance(result, LoadResult) and result.parallel == 1:  # Auto found room for one: nothing to
                self.raised, self._auto_one = False, result.model  # give back after the job, nor to ask next time
            self.ready.emit()
        else:  # back with one, or the user loaded a model (another, or this one anew): its slots are its own
            self.raised = False
        self.reloading_changed.emit()

    def _load_failed(self, error: BaseException) -> None:
        self.reloading = False
        if self.waiting:
            self.waiting = self.raised = False
            self.failed.emit(error_text(error))
        self.reloading_changed.emit()
