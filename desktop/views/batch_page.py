"""The Batch page: a folder of images, a task preset, a table that fills row by row. Layout only.

``BatchController`` runs the job and fills the table; this window only lays it out and reports drops.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..thumbnails import first_page
from .composer import local_files
from .follows_language import FollowsLanguage

THUMB = 48  # thumbnail edge in the table, in pixels
COLUMNS = 4  # image (with thumbnail), status, answer, seconds
AT_ONCE = (0, 1, 2, 4, 8)  # "Images at once": 0 is Auto (as many as memory allows)


class BatchPage(FollowsLanguage, QDialog):
    """Drop or choose a folder, pick a preset and the model, run, pause, resume, cancel, export."""

    folder_dropped = Signal(Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("batchPage")
        self.setAcceptDrops(True)
        self.resize(900, 640)
        outer = QVBoxLayout(self)
        self.drop_hint = QLabel(self)
        self.drop_hint.setWordWrap(True)
        self.drop_hint.setStyleSheet("border: 1px dashed palette(mid); padding: 12px;")
        outer.addWidget(self.drop_hint)
        form = QFormLayout()
        self.folder = QLabel(self)
        self.choose_folder = QPushButton(self)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.choose_folder)
        self.preset = QComboBox(self)
        self.model = QComboBox(self)
        self.at_once = QComboBox(self)
        for n in AT_ONCE:
            self.at_once.addItem(str(n), n)  # Auto's text in retranslate
        self.folder_label, self.preset_label, self.model_label = QLabel(self), QLabel(self), QLabel(self)
        self.at_once_label = QLabel(self)
        self.preset_label.setBuddy(self.preset)
        self.model_label.setBuddy(self.model)
        self.at_once_label.setBuddy(self.at_once)
        form.addRow(self.folder_label, folder_row)
        form.addRow(self.preset_label, self.preset)
        form.addRow(self.model_label, self.model)
        form.addRow(self.at_once_label, self.at_once)
        outer.addLayout(form)
        self.model_note = QLabel(self)
        self.model_note.setWordWrap(True)
        self.model_note.setStyleSheet("color: palette(placeholder-text);")
        outer.addWidget(self.model_note)
        buttons = QHBoxLayout()
        self.run_button, self.pause_button = QPushButton(self), QPushButton(self)
        self.resume_button, self.cancel_button = QPushButton(self), QPushButton(self)
        self.export_csv_button, self.export_jsonl_button = QPushButton(self), QPushButton(self)
        for b in (self.run_button, self.pause_button, self.resume_button, self.cancel_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.export_csv_button)
        buttons.addWidget(self.export_jsonl_button)
        outer.addLayout(buttons)
        self.progress = QProgressBar(self)
        self.at_once_note = QLabel(self)  # "4 at once" while the job runs
        self.summary = QLabel(self)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.at_once_note)
        outer.addLayout(progress_row)
        outer.addWidget(self.summary)
        self.table = QTableWidget(0, COLUMNS, self)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setIconSize(QSize(THUMB, THUMB))
        self.table.verticalHeader().setDefaultSectionSize(THUMB + 6)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 220)
        outer.addWidget(self.table, 1)
        self.retranslate()

    def retranslate(self) -> None:
        """Every fixed string, in the current language."""
        self.setWindowTitle(self.tr("Batch"))
        self.drop_hint.setText(self.tr("Drop a folder of images here, or choose one. Every image is asked the "
                                       "preset's question; the answers fill the table and a result file."))
        self.folder_label.setText(self.tr("Folder"))
        self.choose_folder.setText(self.tr("Choose folder…"))
        self.choose_folder.setAccessibleName(self.tr("Choose a folder of images"))
        self.preset_label.setText(self.tr("&Task"))
        self.model_label.setText(self.tr("&Model"))
        self.at_once_label.setText(self.tr("Images at &once"))
        self.at_once.setItemText(0, self.tr("Auto"))
        self.at_once.setToolTip(self.tr("Auto: as many as free memory allows (up to 8)"))
        self.model_note.setText(self.tr(
            "The batch uses the model loaded in the window, so its weights take no extra memory; a question you "
            "ask in the window meanwhile waits for the images being answered. To answer several images at once "
            "the model is loaded again with room for each, and with room for one when the job is over."))
        for button, text in ((self.run_button, self.tr("&Run")), (self.pause_button, self.tr("&Pause")),
                             (self.resume_button, self.tr("R&esume")), (self.cancel_button, self.tr("&Cancel")),
                             (self.export_csv_button, self.tr("Export &CSV…")),
                             (self.export_jsonl_button, self.tr("Export &JSON Lines…"))):
            button.setText(text)
        self.table.setHorizontalHeaderLabels([self.tr("Image"), self.tr("Status"), self.tr("Answer"),
                                              self.tr("Seconds")])
        self.table.setAccessibleName(self.tr("Results"))

    def cell(self, row: int, column: int) -> QTableWidgetItem:
        """The table's item at (row, column), made empty where there is none yet."""
        item = self.table.item(row, column)
        if item is None:
            item = QTableWidgetItem()
            self.table.setItem(row, column, item)
        return item

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept a dropped folder."""
        if any(p.is_dir() for p in local_files(event.mimeData())):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Report the first dropped folder."""
        folders = [p for p in local_files(event.mimeData()) if p.is_dir()]
        if folders:
            self.folder_dropped.emit(folders[0])
            event.acceptProposedAction()


def thumbnails(images: list[Path]) -> list[tuple[str, QImage]]:
    """The table's small previews, made off the UI thread (QImage, never QPixmap, there)."""
    out = []
    for path in images:
        image = QImage(str(path))
        if image.isNull():  # a PDF: its first page
            image = first_page(path)
        if not image.isNull():
            image = image.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                 Qt.TransformationMode.SmoothTransformation)
        out.append((str(path), image))
    return out
