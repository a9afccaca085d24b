"""The Batch page's logic: a folder, a preset and the window's model through ``batch.run_batch``, row by row.

The job runs on its own thread through a ``SharedEngineBackend`` (answered on the window's engine thread, in turn
with the window's questions), several at once in the model's parallel slots when "Images at once" asks for more
(``BatchSlots`` loads the model again with them, and back with one after the job); on a server model that many
requests stay in flight, once the user agreed to send there. Outcomes come back to the UI thread as queued
signals and fill their rows as answers finish. Pause cancels what is being answered; Resume runs again on the
same result file, which skips what was answered (by content hash). Cancel ends the job; its file stays.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QFileDialog, QWidget
from visiondesk.batch import (
    BatchSummary,
    BatchTask,
    ImageOutcome,
    Preset,
    ResultFile,
    all_presets,
    collect_images,
    export_csv,
    read_rows,
    run_batch,
)
from visiondesk.engine import Backend, CancelToken, SamplingParams, VisionDeskError
from visiondesk.engine.remote import RemoteTarget

from ..background import BackgroundJob
from ..error_text import error_text
from ..shared_backend import SharedEngineBackend
from ..views.batch_page import BatchPage, thumbnails
from ..worker import EngineThread
from .batch_slots import BatchSlots

log = logging.getLogger(__name__)
SAMPLING = SamplingParams(temperature=0.0, max_tokens=1024)  # as ``visiondesk batch``: deterministic answers


class _Relay(QObject):
    """Carries the job thread's outcomes to the UI thread (queued)."""

    outcome = Signal(object)  # ImageOutcome
    ended = Signal(object)  # None, or the VisionDeskError that stopped the job


class BatchController(QObject):
    """One batch job at a time, shown on a ``BatchPage``."""

    # "empty", "ready", "loading" (the model, with slots for the job), "running", "pausing", "paused", "done"
    state_changed = Signal(str)
    row_done = Signal(object)  # ImageOutcome, after its row is shown

    def __init__(self, engine: EngineThread, results_dir: Path, language: Callable[[], str], parent_widget: QWidget,
                 slots: BatchSlots, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.backend = SharedEngineBackend(engine)
        self.slots = slots
        # Before a job: None to go on, else why it did not start (the shell asks about a server, as the chat does).
        self.before_send: Callable[[], str | None] = lambda: None
        slots.ready.connect(self._slots_ready)
        slots.failed.connect(self._slots_failed)
        slots.reloading_changed.connect(self._show_state)  # Run waits for the model to be back
        self.results_dir = results_dir
        self._language = language  # the app's language now ("en", "zh_CN")
        self.parent_widget = parent_widget
        self.sampling = SAMPLING  # the preset adds its answer format
        self.page: BatchPage | None = None
        self.state = "empty"
        self.folder: Path | None = None
        self.images: list[Path] = []
        self.task: BatchTask | None = None
        self.result_path: Path | None = None
        self.summary = BatchSummary()
        self._rows: dict[str, int] = {}
        self._cancel: CancelToken | None = None
        self._thread: threading.Thread | None = None
        self._cancelling = False
        self.at_once = 1  # images the running job answers at once
        self._relay = _Relay()
        self._relay.outcome.connect(self._on_outcome, Qt.ConnectionType.QueuedConnection)
        self._relay.ended.connect(self._on_ended, Qt.ConnectionType.QueuedConnection)

    # -- the page --------------------------------------------------------------------------------

    def open(self) -> BatchPage:
        """Show the page (non-modal); returns it for tests."""
        if self.page is None:
            page = BatchPage(self.parent_widget)
            page.folder_dropped.connect(self.set_folder)
            page.choose_folder.clicked.connect(self._choose_folder)
            page.run_button.clicked.connect(self.run)
            page.pause_button.clicked.connect(self.pause)
            page.resume_button.clicked.connect(self.run)
            page.cancel_button.clicked.connect(self.cancel)
            page.export_csv_button.clicked.connect(lambda: self._export_dialog("csv"))
            page.export_jsonl_button.clicked.connect(lambda: self._export_dialog("jsonl"))
            page.at_once.setCurrentIndex(max(page.at_once.findData(self.slots.wanted), 0))
            page.at_once.currentIndexChanged.connect(lambda i: self.slots.choose(int(page.at_once.itemData(i))))
            self.page = page
        self.fill_choices()
        self._set_state(self.state)
        self.page.show()
        self.page.raise_()
        return self.page

    def fill_choices(self) -> None:
        """The presets (titles in the app's language) and the loaded model."""
        page = self.page
        if page is None:
            return
        lang = "zh" if str(self._language()).startswith("zh") else "en"
        chosen = page.preset.currentData()
        page.preset.clear()
        for name, preset in sorted(all_presets().items()):
            page.preset.addItem(preset.titles.get(lang) or preset.titles.get("en") or name, name)
        index = page.preset.findData(chosen if chosen else "receipt")
        page.preset.setCurrentIndex(max(index, 0))
        page.model.clear()
        info = self.backend.info
        if info is None:
            page.model.addItem(self.tr("No model is loaded: load one in the window first"), None)
        else:
            page.model.addItem(info.model_name, info.model_name)

    def _choose_folder(self) -> None:
        dialog = QFileDialog(self.page, self.tr("Choose a folder of images"))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.fileSelected.connect(lambda f: self.set_folder(Path(f)))
        dialog.open()

    def set_folder(self, folder: Path) -> None:
        """Take the images below ``folder`` (recursively) as the job's; list them with thumbnails."""
        if self.state in ("running", "pausing"):
            return
        try:
            images = collect_images([folder])
        except VisionDeskError as exc:
            self._say(error_text(exc))
            return
        self.folder, self.images, self.task, self.result_path = folder, images, None, None
        self.summary = BatchSummary()
        self._rows = {str(p): i for i, p in enumerate(images)}
        page = self.page
        if page is not None:
            page.folder.setText(str(folder))
            page.table.setRowCount(0)  # no thumbnail or answer of another folder stays behind
            page.table.setRowCount(len(images))
            for i, path in enumerate(images):
                page.cell(i, 0).setText(path.name)
                page.cell(i, 1).setText(self.tr("waiting"))
                page.cell(i, 2).setText("")
                page.cell(i, 3).setText("")
            BackgroundJob(op=lambda: thumbnails(images), success=self._show_thumbnails).start()
        self._set_state("ready" if images else "empty")
        if not images:
            self._say(self.tr("There are no images in %1.").replace("%1", str(folder)))

    def _show_thumbnails(self, thumbs: list[tuple[str, QImage]]) -> None:
        page = self.page
        for path, image in thumbs:
            row = self._rows.get(path)
            if page is not None and row is not None and not image.isNull():
                page.cell(row, 0).setIcon(QIcon(QPixmap.fromImage(image)))

    # -- running ---------------------------------------------------------------------------------

    def run(self) -> None:
        """Start (or resume) the job: images already in the result file are skipped."""
        if self.state not in ("ready", "paused", "done") or not self.images or self.slots.reloading:
            return
        info = self.backend.info
        if info is None:
            self._say(self.tr("No model is loaded: load one in the window first."))
            return
        if (refused := self.before_send()) is not None:  # a server's model: the user agrees before images go
            self._say(refused)
            return
        page = self.page
        name = (page.preset.currentData() if page is not None else None) or "receipt"
        preset = all_presets()[name]
        try:
            task = self._task(preset, info.model_name)
        except VisionDeskError as exc:  # a user's preset whose schema cannot be enforced
            self._say(error_text(exc))
            return
        if self.task is None or self.task.task_id != task.task_id:
            self.task = task
            assert self.folder is not None
            self.result_path = self.results_dir / f"{self.folder.name}-{name}-{task.task_id}.jsonl"
        self.summary = BatchSummary()
        self._cancel = CancelToken()
        self._cancelling = False
        if self.slots.prepare():
            self._set_state("loading")
            self._say(self.tr("Loading %1 again to answer several images at once…").replace("%1", info.model_name))
            return
        self._start()

    def _start(self) -> None:
        """The model is ready for the job: start it on its own thread."""
        remote = self.slots.remote_in_flight()
        self.at_once = self.slots.at_once(self.backend.info, remote)
        self._thread = threading.Thread(target=self._work, args=(self.task, list(self.images), self.result_path,
                                                                  self._cancel, remote), name="batch", daemon=True)
        self._set_state("running")
        self._show_progress()  # in place of "Loading … again"
        self._thread.start()

    def _slots_ready(self) -> None:
        if self.state != "loading":  # cancelled while the model loaded
            return
        info = self.backend.info
        if info is None or self.task is None or info.model_name != self.task.model_name:  # another was picked
            self._set_state("ready")
            self._say(self.tr("The model changed while it loaded for the batch: run it again."))
            self.slots.job_ended()
            return
        self._start()

    def _slots_failed(self, message: str) -> None:
        if self.state == "loading":
            self._set_state("ready")
            self._say(message)

    def _task(self, preset: Preset, model_name: str) -> BatchTask:
        lang = "zh" if str(self._language()).startswith("zh") else "en"
        sampling = dataclasses.replace(self.sampling, response_format=preset.response_format())
        return BatchTask(preset.prompt(lang), sampling, model_name=model_name)

    def _work(self, task: BatchTask, images: list[Path], path: Path, cancel: CancelToken,
              remote: tuple[RemoteTarget, int] | None) -> None:
        """The job's thread: never touches widgets, only emits."""
        pool: list[Backend[Any]] = []
        try:
            if remote is not None:
                pool = self.slots.open_remote(*remote)
            with ResultFile(path, task.task_id, task.answer_columns()) as results:
                outcomes = run_batch(pool or self.backend, task, images, results, cancel)
                try:
                    for outcome in outcomes:
                        self._relay.outcome.emit(outcome)
                finally:
                    outcomes.close()  # paused: the generator's own clean-up (the running images were cancelled)
            self._relay.ended.emit(None)
        except VisionDeskError as exc:
            self._relay.ended.emit(exc)
        except Exception as exc:
            log.exception("the batch job failed")
            self._relay.ended.emit(VisionDeskError(f"{type(exc).__name__}: {exc}"))
        finally:
            for backend in pool:
                backend.close()

    def pause(self) -> None:
        """Stop after cancelling the images being answered; Resume goes on from there (the slots are kept)."""
        if self.state == "running" and self._cancel is not None:
            self._cancel.cancel()
            self._set_state("pausing")

    def cancel(self) -> None:
        """End the job (its result file stays, for export); Run starts it again from the file."""
        if self.state in ("running", "pausing") and self._cancel is not None:
            self._cancelling = True
            self._cancel.cancel()
            self._set_state("pausing")
        elif self.state in ("paused", "loading"):
            self._set_state("done")
            self.slots.job_ended()

    def wait(self, timeout_s: float = 30.0) -> bool:
        """Wait for the job's thread to end (the app is closing); True if it did."""
        thread = self._thread
        if thread is None:
            return True
        if self._cancel is not None:
            self._cancel.cancel()
        thread.join(timeout_s)
        return not thread.is_alive()

    def _on_outcome(self, outcome: ImageOutcome) -> None:
        self.summary.add(outcome)
        page, row = self.page, self._rows.get(str(outcome.path))
        if page is not None and row is not None:
            status = {"ok": self.tr("done"), "error": self.tr("error"), "skipped": self.tr("done before"),
                      "duplicate": self.tr("duplicate")}[outcome.status]
            page.cell(row, 1).setText(status)
            if outcome.row is not None:
                r = outcome.row
                answer = r.error if r.status == "error" else _shown(r.answer)
                page.cell(row, 2).setText(answer)
                page.cell(row, 2).setToolTip(answer[:2000])
                page.cell(row, 3).setText(f"{r.seconds:.1f}")
            page.table.scrollToItem(page.cell(row, 0))
        self._show_progress()
        self.row_done.emit(outcome)

    def _on_ended(self, result: object) -> None:
        self._thread = None
        if isinstance(result, VisionDeskError):
            self._say(str(result))
            self._set_state("ready")
            self.slots.job_ended()
            return
        if self._cancelling:
            self._set_state("done")
        elif self._cancel is not None and self._cancel.cancelled:
            self._set_state("paused")
        else:
            self._set_state("done")
        self._show_progress()
        if self.state == "done":
            self.slots.job_ended()

    def _show_progress(self) -> None:
        page = self.page
        if page is None:
            return
        s = self.summary
        handled = s.done + s.failed + s.skipped + s.duplicates
        page.progress.setRange(0, max(len(self.images), 1))
        page.progress.setValue(handled)
        page.summary.setText(self.tr("%1 of %2 images: %3 answered, %4 failed, %5 answered before")
                             .replace("%1", str(handled)).replace("%2", str(len(self.images)))
                             .replace("%3", str(s.done)).replace("%4", str(s.failed)).replace("%5", str(s.skipped)))

    def _set_state(self, state: str) -> None:
        self.state = state
        self._show_state()
        self.state_changed.emit(state)

    def _show_state(self) -> None:
        """What can be done in this state, and while the model is loaded again for a job (or back after one)."""
        page, state = self.page, self.state
        if page is None:
            return
        has_model = self.backend.info is not None
        idle = state in ("empty", "ready", "done")
        ready = has_model and not self.slots.reloading
        page.run_button.setEnabled(state in ("ready", "done") and ready and bool(self.images))
        page.pause_button.setEnabled(state == "running")
        page.resume_button.setEnabled(state == "paused" and ready)
        page.cancel_button.setEnabled(state in ("running", "paused", "loading"))
        has_results = self.result_path is not None and self.result_path.exists()
        page.export_csv_button.setEnabled(has_results and state != "running")
        page.export_jsonl_button.setEnabled(has_results and state != "running")
        page.choose_folder.setEnabled(idle or state == "paused")
        page.preset.setEnabled(idle)
        page.at_once.setEnabled(idle or state == "paused")
        running = state in ("running", "pausing")
        page.at_once_note.setText(self.tr("%1 at once").replace("%1", str(self.at_once)) if running else "")

    def _say(self, text: str) -> None:
        if self.page is not None:
            self.page.summary.setText(text)

    # -- export ----------------------------------------------------------------------------------

    def export(self, path: Path) -> int:
        """Write the results (the last row per image) to ``path``: CSV for .csv, else JSON Lines; returns rows."""
        if self.result_path is None or self.task is None:
            raise VisionDeskError(self.tr("Run the batch first: there are no results to export."))
        path.unlink(missing_ok=True)  # the save dialog asked before replacing it
        if path.suffix.lower() == ".csv":
            return int(export_csv(self.result_path, path, self.task.answer_columns()))
        rows = read_rows(self.result_path)
        with open(path, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(dataclasses.asdict(row), ensure_ascii=False) + "\n")
        return len(rows)

    def _export_dialog(self, kind: str) -> None:
        title = self.tr("Export as CSV") if kind == "csv" else self.tr("Export as JSON Lines")
        dialog = QFileDialog(self.page, title)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix(kind)
        dialog.setNameFilter("CSV (*.csv)" if kind == "csv" else "JSON Lines (*.jsonl)")
        dialog.fileSelected.connect(lambda f: self._exported(Path(f)))
        dialog.open()

    def _exported(self, path: Path) -> None:
        try:
            n = self.export(path)
        except (OSError, VisionDeskError) as exc:
            self._say(error_text(exc))
            return
        self._say(self.tr("Exported %1 rows to %2").replace("%1", str(n)).replace("%2", str(path)))


def _shown(answer: Any) -> str:
    return answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
