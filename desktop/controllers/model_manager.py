"""Drives the model manager dialog: catalog with fit verdicts, the download queue, the installed models.

All work on disk or the network runs off the UI thread: short calls through ``BackgroundJob``, each
download on its ``DownloadJob`` thread, whose events are re-emitted as queued signals (``_JobEvents``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QFileDialog, QMessageBox, QTableWidgetItem
from visiondesk.engine import defaults
from visiondesk.models.catalog import CatalogEntry
from visiondesk.models.fit import Fit, FitEstimate, MachineMemory
from visiondesk.models.local_models import VerifyReport
from visiondesk.models.manager import ModelManager
from visiondesk.models.registry import InstalledModel

from ..background import BackgroundJob
from ..data_size import format_size
from ..error_text import error_text
from ..views.model_manager_dialog import ModelManagerDialog
from .download_queue import DownloadQueue, QueuedDownload
from .gguf_choice import GGUF_FILTER, split_gguf_choice

log = logging.getLogger(__name__)
UseModel = Callable[[Path, Path | None], None]
T = TypeVar("T")
FIT_COLOURS = {Fit.GPU: "#2e8b57", Fit.PARTIAL_GPU: "#2f7fb8", Fit.CPU_ONLY: "#c07a12", Fit.TOO_BIG: "#d64545"}


class ModelManagerController(QObject):
    """Logic of ``ModelManagerDialog``; ``use_model(model, mmproj)`` switches the chat to a model."""

    installed_changed = Signal(list)  # list[InstalledModel], after every refresh
    model_chosen = Signal(object)  # InstalledModel

    def __init__(self, dialog: ModelManagerDialog, models: ModelManager, use_model: UseModel, *,
                 context_size: int = defaults.CONTEXT_TOKENS, chunk_size: int = 1 << 20,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dialog, self.models, self._use_model = dialog, models, use_model
        self.catalog = models.catalog
        self.context_size, self.chunk_size = context_size, chunk_size
        self.memory: MachineMemory | None = None
        self.installed: list[InstalledModel] = []
        self._disk = 0
        self.closed = False
        self._quant: dict[str, str] = {e.id: e.default_quant for e in self.catalog.entries}
        d = dialog
        d.search.textChanged.connect(self.apply_filters)
        d.category.currentIndexChanged.connect(self.apply_filters)
        d.fits_only.toggled.connect(self.apply_filters)
        d.catalog_table.itemSelectionChanged.connect(self._catalog_selected)
        d.quant.activated.connect(self._quant_chosen)
        d.download_button.clicked.connect(self.download_selected)
        d.repo_download_button.clicked.connect(self.download_repo)
        d.repo_edit.returnPressed.connect(self.download_repo)
        d.installed_table.itemSelectionChanged.connect(self._installed_selected)
        d.use_button.clicked.connect(self.use_selected)
        d.verify_button.clicked.connect(self.verify_selected)
        d.remove_button.clicked.connect(self.remove_selected)
        d.import_button.clicked.connect(self.pick_import_files)
        self.downloads = DownloadQueue(dialog, models, self.refresh_installed, chunk_size, parent=self)
        self._fill_catalog()
        dialog.installEventFilter(self)  # a language switch re-fills the tables too, not only the labels
        self._in_background(models.machine_memory, self._got_memory, lambda exc: log.warning("probe: %s", exc))
        self.refresh_installed()

    # -- catalog -----------------------------------------------------------------------------------
    def _good_at(self, use: str) -> str:
        names = {"photos": self.tr("photos"), "documents": self.tr("documents"), "general": self.tr("general"),
                 "charts": self.tr("charts"), "ocr": self.tr("text in images (OCR)"),
                 "small laptops": self.tr("small laptops")}
        return names.get(use, use)

    def fit_label(self, fit: Fit) -> str:
        """The verdict in words."""
        return {Fit.GPU: self.tr("Fits on the GPU"), Fit.PARTIAL_GPU: self.tr("Partly on the GPU"),
                Fit.CPU_ONLY: self.tr("CPU only"), Fit.TOO_BIG: self.tr("Too big")}[fit]

    def fit_of(self, entry: CatalogEntry) -> FitEstimate | None:
        """The fit of ``entry`` in its chosen quantization (None until the machine was probed)."""
        if self.memory is None:
            return None
        return self.models.fit_for_entry(entry, self._quant[entry.id], self.context_size, self.memory)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """After a language switch, the words inside the tables follow the dialog's labels."""
        if watched is self.dialog and event.type() == QEvent.Type.LanguageChange:
            QTimer.singleShot(0, self.retranslate)
        return False

    def retranslate(self) -> None:
        """Re-fill what this controller wrote into the dialog, in the current language."""
        if self.closed:
            return
        d = self.dialog
        category = d.category.currentData()
        d.category.blockSignals(True)
        d.category.clear()
        self._fill_catalog()
        d.category.setCurrentIndex(max(d.category.findData(category), 0))
        d.category.blockSignals(False)
        self.apply_filters()
        self._catalog_selected()
        if self.installed:
            self._show_installed((self.installed, self._disk))

    def _fill_catalog(self) -> None:
        d = self.dialog
        d.category.addItem(self.tr("Good at anything"), "")
        for use in sorted({u for e in self.catalog.entries for u in e.good_at}):
            d.category.addItem(self._good_at(use), use)
        d.catalog_table.setRowCount(len(self.catalog.entries))
        for row, e in enumerate(self.catalog.entries):
            for col, text in enumerate((e.title, "", ", ".join(self._good_at(u) for u in e.good_at), e.license, "")):
                d.catalog_table.setItem(row, col, QTableWidgetItem(text))
            self._update_catalog_row(row)

    def _update_catalog_row(self, row: int) -> None:
        e, table = self.catalog.entries[row], self.dialog.catalog_table
        size = e.approx_bytes(self._quant[e.id])
        table.item(row, 1).setText(format_size(size) if size is not None else self.tr("size unknown"))
        fit, item = self.fit_of(e), table.item(row, 4)
        item.setText(self.tr("Checking…") if fit is None else self.fit_label(fit.fit))
        if fit is not None:
            item.setForeground(QBrush(QColor(FIT_COLOURS[fit.fit])))
            item.setToolTip(self._explain(fit))

    def _explain(self, fit: FitEstimate) -> str:
        m = self.memory
        assert m is not None
        if m.vram_free is None:
            text = self.tr("Needs about %1 of memory; this machine has %2 of RAM and no usable GPU.")
        else:
            text = self.tr("Needs about %1 of memory; this machine has %2 of RAM and %3 free on the GPU.")
        return text.replace("%1", format_size(fit.needed_bytes)).replace("%2", format_size(m.ram_total)).replace(
            "%3", format_size(m.vram_free or 0))

    def _got_memory(self, memory: MachineMemory) -> None:
        self.memory = memory
        for row in range(len(self.catalog.entries)):
            self._update_catalog_row(row)
        self.apply_filters()
        self._catalog_selected()

    def apply_filters(self) -> None:
        """Hide the catalog rows that do not match the search text, the category and "fits"."""
        d = self.dialog
        words = d.search.text().lower().split()
        use = d.category.currentData() or ""
        for row, e in enumerate(self.catalog.entries):
            hay = " ".join((e.id, e.title, e.repo, e.description, *e.good_at,
                            *(self._good_at(u) for u in e.good_at))).lower()
            fit = self.fit_of(e) if d.fits_only.isChecked() else None
            hidden = (not all(w in hay for w in words) or (use and use not in e.good_at)
                      or (fit is not None and fit.fit is Fit.TOO_BIG))
            d.catalog_table.setRowHidden(row, bool(hidden))

    def visible_catalog_ids(self) -> list[str]:
        """Ids of the entries the filters let through, in order."""
        return [e.id for r, e in enumerate(self.catalog.entries) if not self.dialog.catalog_table.isRowHidden(r)]

    def _selected_entry(self) -> CatalogEntry | None:
        rows = self.dialog.catalog_table.selectionModel().selectedRows()
        return self.catalog.entries[rows[0].row()] if rows else None

    def _catalog_selected(self) -> None:
        d, e = self.dialog, self._selected_entry()
        d.download_button.setEnabled(e is not None)
        d.quant.clear()
        if e is None:
            d.catalog_details.clear()
            return
        for q in e.quantizations:
            d.quant.addItem(q, q)
        d.quant.setCurrentIndex(d.quant.findData(self._quant[e.id]))
        fit = self.fit_of(e)
        d.catalog_details.setText(f"{e.title} — {e.repo}\n{e.description}"
                                  + (f"\n{self.fit_label(fit.fit)}: {self._explain(fit)}" if fit else ""))

    def _quant_chosen(self) -> None:
        e = self._selected_entry()
        if e is not None and self.dialog.quant.currentData():
            self._quant[e.id] = self.dialog.quant.currentData()
            self._update_catalog_row(self.catalog.entries.index(e))
            self._catalog_selected()

    def download_selected(self) -> None:
        """Queue the selected catalog entry in the chosen quantization."""
        e = self._selected_entry()
        if e is not None:
            self.download(e.repo, self._quant[e.id])

    def download_repo(self) -> None:
        """Queue the repository typed in the "owner/name" field."""
        repo = self.dialog.repo_edit.text().strip()
        if repo.count("/") != 1 or repo.startswith("/") or repo.endswith("/"):
            self.dialog.catalog_status.setText(self.tr("Type a repository as owner/name."))
            return
        self.dialog.catalog_status.clear()
        self.download(repo, None)

    # -- downloads ---------------------------------------------------------------------------------
    @property
    def queue(self) -> list[QueuedDownload]:
        """The download rows, oldest first."""
        return self.downloads.items

    def download(self, repo_id: str, quant: str | None) -> QueuedDownload:
        """Look the files up (in the background), then queue the job; shows the Downloads tab."""
        return self.downloads.download(repo_id, quant)

    def close(self) -> None:
        """At shutdown: pause running downloads so their partial files stay for the next session."""
        self.closed = True
        self.downloads.close()

    def _in_background(self, op: Callable[[], T], success: Callable[[T], None],
                       failure: Callable[[BaseException], None]) -> None:
        """Run ``op`` off the UI thread; a result that arrives after ``close()`` finds no dialog and is dropped."""
        BackgroundJob(op=op, success=lambda result: None if self.closed else success(result),
                      failure=lambda exc: None if self.closed else failure(exc)).start()

    # -- installed ---------------------------------------------------------------------------------
    def refresh_installed(self) -> None:
        """Re-read the registry in the background and show it."""
        models = self.models
        self._in_background(lambda: (models.installed(), models.disk_use()), self._show_installed,
                            self._installed_error)

    def _show_installed(self, result: tuple[list[InstalledModel], int]) -> None:
        models, disk = result
        self.installed, self._disk = models, disk
        table = self.dialog.installed_table
        table.setRowCount(len(models))
        for row, m in enumerate(models):
            source = m.source.split("@", 1)[0].removeprefix("hf:").removeprefix("local:")
            verified = m.verified_at.replace("T", " ").replace("+00:00", " UTC")
            quant = self.tr("unknown") if m.quant == "unknown" else m.quant
            texts = (m.name, format_size(m.size), quant, source, verified)
            for col, text in enumerate(texts):
                table.setItem(row, col, QTableWidgetItem(text))
            table.item(row, 3).setToolTip(m.source)
        used = format_size(disk)
        self.dialog.disk_use.setText(self.tr("Downloaded models use %1 of disk space.").replace("%1", used))
        self._installed_selected()
        self.installed_changed.emit(models)

    def _installed_error(self, exc: BaseException) -> None:
        self.dialog.installed_status.setText(error_text(exc))

    def selected_installed(self) -> InstalledModel | None:
        """The installed model selected in the list."""
        rows = self.dialog.installed_table.selectionModel().selectedRows()
        return self.installed[rows[0].row()] if rows and rows[0].row() < len(self.installed) else None

    def _installed_selected(self) -> None:
        chosen = self.selected_installed() is not None
        for b in (self.dialog.use_button, self.dialog.verify_button, self.dialog.remove_button):
            b.setEnabled(chosen)

    def use_selected(self) -> None:
        """Configure the selected model and load it: the chat switches to it."""
        m = self.selected_installed()
        if m is None:
            return
        self._use_model(m.model.path, m.mmproj.path if m.mmproj else None)
        self.model_chosen.emit(m)
        self.dialog.hide()

    def verify_selected(self) -> None:
        """Hash the selected model's files again (in the background)."""
        m = self.selected_installed()
        if m is None:
            return
        self.dialog.installed_status.setText(self.tr("Verifying %1…").replace("%1", m.name))
        self._in_background(lambda: self.models.verify(m.name), self._verified, self._installed_error)

    def _verified(self, report: VerifyReport) -> None:
        text = (self.tr("%1: all files match.") if report.ok else self.tr("%1 is damaged: %2"))
        self.dialog.installed_status.setText(text.replace("%1", report.name).replace("%2", "; ".join(report.problems)))
        self.refresh_installed()

    def remove_selected(self) -> QMessageBox | None:
        """Ask, then unregister the selected model and delete the files VisionDesk downloaded."""
        m = self.selected_installed()
        if m is None:
            return None
        text = (self.tr("Remove %1 and delete its files (%2)?") if m.owned else
                self.tr("Remove %1 from the list? Its files (%2) stay where they are.")).replace(
            "%1", m.name).replace("%2", format_size(m.size))
        box = QMessageBox(QMessageBox.Icon.Question, self.tr("Remove model"), text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self.dialog)
        box.setObjectName("confirmRemove")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda result: self._remove(m) if result == QMessageBox.StandardButton.Yes else None)
        box.open()
        return box

    def _remove(self, m: InstalledModel) -> None:
        def done(freed: int) -> None:
            self.dialog.installed_status.setText(
                self.tr("Removed %1; %2 freed.").replace("%1", m.name).replace("%2", format_size(freed)))
            self.refresh_installed()

        self._in_background(lambda: self.models.remove(m.name), done, self._installed_error)

    def pick_import_files(self) -> None:
        """Ask for a GGUF model (and optionally its projector) to import (non-blocking)."""
        dialog = QFileDialog(self.dialog, self.tr("Import a GGUF model and, optionally, its projector"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter(GGUF_FILTER)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.filesSelected.connect(lambda files: self.import_files([Path(f) for f in files]))
        dialog.open()

    def import_files(self, paths: list[Path]) -> None:
        """Check, hash and register local files in place; a projector beside the model is found by itself."""
        model, mmproj = split_gguf_choice(paths)
        status = self.dialog.installed_status
        if model is None:
            status.setText(self.tr("Pick the model file too, not only the projector."))
            return
        status.setText(self.tr("Importing %1…").replace("%1", model.name))

        def done(m: InstalledModel) -> None:
            status.setText(self.tr("Imported %1.").replace("%1", m.name))
            self.refresh_installed()

        self._in_background(lambda: self.models.import_local(model, mmproj), done, self._installed_error)
