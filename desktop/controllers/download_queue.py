"""The model manager's download queue: one row per download, jobs run one at a time, pause/resume/cancel.

Each download runs on its ``DownloadJob`` thread; its events are re-emitted as queued signals
(``_JobEvents``) and handled on the UI thread.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot
from visiondesk.models.events import Failed, Finished, JobEvent, JobState, Progress, StateChanged
from visiondesk.models.job import DownloadJob, DownloadPlan
from visiondesk.models.manager import ModelManager

from ..background import BackgroundJob
from ..data_size import format_size
from ..error_text import error_text
from ..views.model_manager_dialog import DownloadRow, ModelManagerDialog


class _JobEvents(QObject):
    """Carries one job's events from its worker thread to the UI thread (queued)."""

    event = Signal(object)

    def __init__(self, deliver: Callable[[JobEvent], None]) -> None:
        super().__init__()
        self._deliver = deliver
        self.event.connect(self._on_event, Qt.ConnectionType.QueuedConnection)

    @Slot(object)
    def _on_event(self, event: JobEvent) -> None:
        self._deliver(event)


@dataclasses.dataclass(eq=False)
class QueuedDownload:
    """A row of the queue and, once the files are looked up, its job."""

    row: DownloadRow
    events: _JobEvents
    job: DownloadJob | None = None
    state: JobState = JobState.PENDING
    started: bool = False


class DownloadQueue(QObject):
    """The Downloads tab of ``ModelManagerDialog``; ``installed()`` is called after each finished download."""

    def __init__(self, dialog: ModelManagerDialog, models: ModelManager, installed: Callable[[], None],
                 chunk_size: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dialog, self.models = dialog, models
        self._installed, self.chunk_size = installed, chunk_size
        self.items: list[QueuedDownload] = []
        self.closed = False  # after close() a finished look-up starts nothing

    def download(self, repo_id: str, quant: str | None) -> QueuedDownload:
        """Look the files up (in the background), then queue the job; shows the Downloads tab."""
        d = self.dialog
        row = d.add_download_row(repo_id + (f" ({quant})" if quant else ""))
        item = QueuedDownload(row, _JobEvents(lambda ev: self._on_event(item, ev)))
        self.items.append(item)
        row.state.setText(self.tr("Looking up the files…"))
        row.pause_button.clicked.connect(lambda: item.job.pause() if item.job else None)
        row.resume_button.clicked.connect(lambda: self._resume(item))
        row.cancel_button.clicked.connect(lambda: self._cancel(item))
        d.downloads_empty.hide()
        d.tabs.setCurrentWidget(d.downloads_page)
        BackgroundJob(op=lambda: self.models.plan(repo_id, quant),
                      success=lambda plan: None if self.closed else self._planned(item, plan),
                      failure=lambda exc: None if self.closed else self._on_event(item, Failed(exc, False))).start()
        return item

    def _planned(self, item: QueuedDownload, plan: DownloadPlan) -> None:
        if item.state is JobState.CANCELLED:
            return
        item.row.title.setText(f"{plan.name} — {format_size(plan.total_bytes)}")
        item.row.retranslate()
        item.job = self.models.download(plan, self.chunk_size)
        item.job.add_listener(item.events.event.emit)
        item.row.state.setText(self.tr("Waiting"))
        self._start_next()

    def _start_next(self) -> None:
        busy = (JobState.PENDING, JobState.CHECKING, JobState.DOWNLOADING, JobState.VERIFYING)
        if any(q.started and q.state in busy for q in self.items):
            return
        nxt = next((q for q in self.items if q.job is not None and not q.started and not q.state.finished), None)
        if nxt is not None and nxt.job is not None:
            nxt.started = True
            nxt.job.start()

    def _resume(self, item: QueuedDownload) -> None:
        if item.job is None:
            return
        if item.state is JobState.FAILED:  # a new job continues from the .part files
            item.job = self.models.download(item.job.plan, self.chunk_size)
            item.job.add_listener(item.events.event.emit)
            item.started, item.state = False, JobState.PENDING
            item.row.error.hide()
            self._start_next()
        else:
            item.job.resume()

    def _cancel(self, item: QueuedDownload) -> None:
        if item.job is not None and item.started:
            item.job.cancel()
        else:
            self._on_event(item, StateChanged(JobState.CANCELLED))

    def _state_text(self, state: JobState) -> str:
        return {JobState.PENDING: self.tr("Waiting"), JobState.CHECKING: self.tr("Checking…"),
                JobState.DOWNLOADING: self.tr("Downloading"), JobState.PAUSED: self.tr("Paused"),
                JobState.VERIFYING: self.tr("Verifying…"), JobState.DONE: self.tr("Installed"),
                JobState.FAILED: self.tr("Failed"), JobState.CANCELLED: self.tr("Cancelled")}[state]

    def _on_event(self, item: QueuedDownload, event: JobEvent) -> None:
        row = item.row
        if isinstance(event, Progress):
            row.progress.setValue(int(event.fraction * 1000))
            text = self.tr("%1 of %2").replace("%1", format_size(event.done)).replace("%2",
                                                                                    format_size(event.total))
            if event.speed_bps > 0:
                text += " · " + self.tr("%1/s").replace("%1", format_size(int(event.speed_bps)))
            if event.eta_s is not None:
                text += " · " + self.tr("%1 left").replace("%1", format_duration(event.eta_s))
            row.detail.setText(text)
        elif isinstance(event, StateChanged):
            item.state = event.state
            row.state.setText(self._state_text(event.state))
            row.pause_button.setVisible(event.state is not JobState.PAUSED and not event.state.finished)
            row.resume_button.setVisible(event.state in (JobState.PAUSED, JobState.FAILED) and item.job is not None)
            row.cancel_button.setEnabled(not event.state.finished or event.state is JobState.FAILED)
            if event.state is JobState.CANCELLED:
                row.detail.setText(self.tr("Cancelled; the partial files were deleted."))
            if event.state.finished or event.state is JobState.PAUSED:
                self._start_next()
        elif isinstance(event, Finished):
            row.progress.setValue(1000)
            row.detail.setText(self.tr("Installed as %1.").replace("%1", event.model.name))
            self._installed()
        elif isinstance(event, Failed):
            self._on_event(item, StateChanged(JobState.FAILED))
            row.error.setText(error_text(event.error))
            row.error.show()

    def close(self) -> None:
        """At shutdown: pause running downloads so their partial files stay for the next session."""
        self.closed = True
        for q in self.items:
            if q.job is not None and q.started and not q.state.finished:
                q.job.pause()


def format_duration(seconds: float) -> str:
    """Seconds as m:ss or h:mm:ss."""
    s = int(seconds + 0.5)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
