"""One typed way to run short jobs off the UI thread and route their errors to one place.

Read it like a sentence::

    BackgroundJob(op=lambda: prepare_image(src), success=self._add, failure=self._show_error).start()

``op`` runs on a pool thread: it must not touch widgets (``QImage`` is fine, ``QPixmap`` is not).
``success`` and ``failure`` run on the UI thread. Without ``failure`` the error goes to the
application-wide sink (``set_error_sink``), which logs it and shows it to the user.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)
T = TypeVar("T")

ErrorSink = Callable[[BaseException], None]


def _log_only(exc: BaseException) -> None:
    log.error("background job failed: %s", exc, exc_info=exc)


_error_sink: ErrorSink = _log_only
_running: set[_Relay] = set()  # keeps relays alive until their result has been delivered


def set_error_sink(sink: ErrorSink | None) -> None:
    """Where errors of jobs without their own ``failure`` callback go (the main window's banner)."""
    global _error_sink
    _error_sink = sink or _log_only


class _Relay(QObject):
    """Lives on the UI thread; its signals reach its own slots there through a queued connection."""

    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, on_success: Callable[[object], None], on_failure: Callable[[object], None]) -> None:
        super().__init__()
        self._on_success, self._on_failure = on_success, on_failure
        self.succeeded.connect(self._deliver_success, Qt.ConnectionType.QueuedConnection)
        self.failed.connect(self._deliver_failure, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _deliver_success(self, result: object) -> None:
        self._on_success(result)

    @Slot(object)
    def _deliver_failure(self, exc: object) -> None:
        self._on_failure(exc)


class _Runnable(QRunnable):
    def __init__(self, op: Callable[[], object], relay: _Relay) -> None:
        super().__init__()
        self._op, self._relay = op, relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._op()
        except Exception as exc:  # every failure is routed, never lost on a pool thread
            self._relay.failed.emit(exc)
        else:
            self._relay.succeeded.emit(result)


class BackgroundJob(Generic[T]):
    """A short job (milliseconds to a few seconds) for the shared thread pool."""

    def __init__(self, op: Callable[[], T], success: Callable[[T], None],
                 failure: Callable[[BaseException], None] | None = None) -> None:
        self._op, self._success, self._failure = op, success, failure

    def start(self) -> None:
        """Queue the job; callbacks arrive later on the UI thread."""
        def done(result: object) -> None:
            _running.discard(relay)
            self._success(result)  # type: ignore[arg-type]

        def failed(exc: object) -> None:
            _running.discard(relay)
            assert isinstance(exc, BaseException)
            if not isinstance(exc, Exception) or self._failure is None:
                log.warning("background job failed: %s", exc)
                _error_sink(exc)
            else:
                self._failure(exc)

        relay = _Relay(done, failed)
        _running.add(relay)
        QThreadPool.globalInstance().start(_Runnable(self._op, relay))


def pending_jobs() -> int:
    """How many jobs have not delivered their result yet (tests wait for zero)."""
    return len(_running)
