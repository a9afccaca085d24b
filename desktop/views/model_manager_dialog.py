"""The model manager window: Catalog, Downloads and Installed tabs. Layout only; see ModelManagerController."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .follows_language import FollowsLanguage


def _table(parent: QWidget, columns: int) -> QTableWidget:
    table = QTableWidget(0, columns, parent)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move between rows
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _wrapping_label(parent: QWidget, error: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if error:
        label.setStyleSheet("color: #d64545;")
    return label


class DownloadRow(FollowsLanguage, QFrame):
    """One job of the download queue: title, progress bar, numbers, error, Pause/Resume/Cancel."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(self)
        self.title = QLabel(title, self)
        self.title.setStyleSheet("font-weight: bold;")
        self.state = QLabel(self)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.detail = QLabel(self)
        self.error = _wrapping_label(self, error=True)
        self.error.hide()
        self.pause_button = QPushButton(self)
        self.resume_button = QPushButton(self)
        self.cancel_button = QPushButton(self)
        self.resume_button.hide()
        grid.addWidget(self.title, 0, 0)
        grid.addWidget(self.state, 0, 1, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.progress, 1, 0, 1, 2)
        grid.addWidget(self.detail, 2, 0, 1, 2)
        grid.addWidget(self.error, 3, 0, 1, 2)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.pause_button, self.resume_button, self.cancel_button):
            buttons.addWidget(b)
        grid.addLayout(buttons, 4, 0, 1, 2)
        self.retranslate()

    def retranslate(self) -> None:
        """Button texts and accessible names."""
        name = self.title.text()
        for button, text in ((self.pause_button, self.tr("Pause")), (self.resume_button, self.tr("Resume")),
                             (self.cancel_button, self.tr("Cancel"))):
            button.setText(text)
            button.setAccessibleName(f"{text} {name}")
        self.progress.setAccessibleName(self.tr("Download progress of %1").replace("%1", name))


class ModelManagerDialog(FollowsLanguage, QDialog):
    """Find, download, and manage vision models. Non-modal: downloads keep going while it is hidden."""

    CATALOG_COLUMNS = 5  # name, size, good at, license, fit
    INSTALLED_COLUMNS = 5  # name, size, quantization, source, verified

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelManager")
        self.resize(940, 620)
        outer = QVBoxLayout(self)
        self.tabs = QTabWidget(self)
        outer.addWidget(self.tabs, 1)
        self._build_catalog()
        self._build_downloads()
        self._build_installed()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.buttons.rejected.connect(self.reject)
        self.close_button = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        outer.addWidget(self.buttons)
        self.retranslate()

    def _build_catalog(self) -> None:
        page = QWidget(self)
        v = QVBoxLayout(page)
        filters = QHBoxLayout()
        self.search = QLineEdit(page)
        self.search.setClearButtonEnabled(True)
        self.category = QComboBox(page)
        self.fits_only = QCheckBox(page)
        filters.addWidget(self.search, 1)
        filters.addWidget(self.category)
        filters.addWidget(self.fits_only)
        v.addLayout(filters)
        self.catalog_table = _table(page, self.CATALOG_COLUMNS)
        v.addWidget(self.catalog_table, 1)
        self.catalog_details = _wrapping_label(page)
        v.addWidget(self.catalog_details)
        row = QHBoxLayout()
        self.quant_label = QLabel(page)
        self.quant = QComboBox(page)
        self.quant_label.setBuddy(self.quant)
        self.download_button = QPushButton(page)
        self.download_button.setEnabled(False)
        row.addWidget(self.quant_label)
        row.addWidget(self.quant)
        row.addStretch(1)
        row.addWidget(self.download_button)
        v.addLayout(row)
        repo_row = QHBoxLayout()
        self.repo_label = QLabel(page)
        self.repo_edit = QLineEdit(page)
        self.repo_label.setBuddy(self.repo_edit)
        self.repo_download_button = QPushButton(page)
        repo_row.addWidget(self.repo_label)
        repo_row.addWidget(self.repo_edit, 1)
        repo_row.addWidget(self.repo_download_button)
        v.addLayout(repo_row)
        self.catalog_status = _wrapping_label(page, error=True)
        v.addWidget(self.catalog_status)
        self.catalog_page = page
        self.tabs.addTab(page, "")

    def _build_downloads(self) -> None:
        page = QWidget(self)
        v = QVBoxLayout(page)
        self.downloads_empty = QLabel(page)
        self.downloads_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        v.addWidget(self.downloads_empty)
        self.downloads_area = QScrollArea(page)
        self.downloads_area.setWidgetResizable(True)
        holder = QWidget(self.downloads_area)
        self.downloads_layout = QVBoxLayout(holder)
        self.downloads_layout.addStretch(1)
        self.downloads_area.setWidget(holder)
        v.addWidget(self.downloads_area, 1)
        self.downloads_page = page
        self.tabs.addTab(page, "")

    def _build_installed(self) -> None:
        page = QWidget(self)
        v = QVBoxLayout(page)
        self.installed_table = _table(page, self.INSTALLED_COLUMNS)
        v.addWidget(self.installed_table, 1)
        self.disk_use = QLabel(page)
        v.addWidget(self.disk_use)
        self.installed_status = _wrapping_label(page)
        v.addWidget(self.installed_status)
        row = QHBoxLayout()
        self.use_button = QPushButton(page)
        self.verify_button = QPushButton(page)
        self.remove_button = QPushButton(page)
        self.import_button = QPushButton(page)
        for b in (self.use_button, self.verify_button, self.remove_button):
            b.setEnabled(False)
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.import_button)
        v.addLayout(row)
        self.installed_page = page
        self.tabs.addTab(page, "")

    def add_download_row(self, title: str) -> DownloadRow:
        """A new row at the end of the queue."""
        row = DownloadRow(title, self.downloads_area.widget())
        self.downloads_layout.insertWidget(self.downloads_layout.count() - 1, row)
        return row

    def retranslate(self) -> None:
        """Every fixed string of the dialog, with accessible names, in the current language."""
        self.setWindowTitle(self.tr("Models"))
        for i, text in enumerate((self.tr("&Catalog"), self.tr("&Downloads"), self.tr("&Installed"))):
            self.tabs.setTabText(i, text)
        self.tabs.setAccessibleName(self.tr("Model manager sections"))
        self.search.setPlaceholderText(self.tr("Search models"))
        self.search.setAccessibleName(self.tr("Search models"))
        self.category.setAccessibleName(self.tr("Good at"))
        self.fits_only.setText(self.tr("&Fits this machine"))
        self.fits_only.setAccessibleName(self.tr("Show only models that fit this machine"))
        self.catalog_table.setHorizontalHeaderLabels([
            self.tr("Model"), self.tr("Download size"), self.tr("Good at"), self.tr("License"),
            self.tr("On this machine")])
        self.catalog_table.setAccessibleName(self.tr("Catalog of vision models"))
        self.catalog_details.setAccessibleName(self.tr("About the selected model"))
        self.quant_label.setText(self.tr("&Quantization:"))
        self.quant.setAccessibleName(self.tr("Quantization"))
        self.download_button.setText(self.tr("Do&wnload"))
        self.download_button.setAccessibleName(self.tr("Download the selected model"))
        self.repo_label.setText(self.tr("Or a Hugging Face &repository:"))
        self.repo_edit.setPlaceholderText(self.tr("owner/name"))
        self.repo_edit.setAccessibleName(self.tr("Hugging Face repository"))
        self.repo_download_button.setText(self.tr("Download from the &Hub"))
        self.repo_download_button.setAccessibleName(self.tr("Download from the Hugging Face repository"))
        self.downloads_empty.setText(self.tr("Nothing is downloading. Pick a model in the catalog."))
        self.downloads_area.setAccessibleName(self.tr("Download queue"))
        self.installed_table.setHorizontalHeaderLabels([
            self.tr("Model"), self.tr("Size"), self.tr("Quantization"), self.tr("Source"), self.tr("Verified")])
        self.installed_table.setAccessibleName(self.tr("Installed models"))
        self.use_button.setText(self.tr("&Use this model"))
        self.use_button.setAccessibleName(self.tr("Use this model"))
        self.verify_button.setText(self.tr("&Verify again"))
        self.verify_button.setAccessibleName(self.tr("Verify again"))
        self.remove_button.setText(self.tr("&Remove…"))
        self.remove_button.setAccessibleName(self.tr("Remove"))
        self.import_button.setText(self.tr("Import &GGUF files…"))
        self.import_button.setAccessibleName(self.tr("Import GGUF files"))
        self.disk_use.setAccessibleName(self.tr("Disk use"))
        self.installed_status.setAccessibleName(self.tr("Status"))
        self.catalog_status.setAccessibleName(self.tr("Status"))
        self.close_button.setText(self.tr("Close"))
        self.close_button.setAccessibleName(self.tr("Close"))
