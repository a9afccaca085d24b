"""The local API server's dialog. Layout only: ``ApiServerController`` switches it and fills the log."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from .follows_language import FollowsLanguage

LOG_COLUMNS = 6  # time, client, status, outcome, tokens, milliseconds


class ApiServerPage(FollowsLanguage, QDialog):
    """On/off, port, key, the base URL to copy, and the recent requests."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("apiServerPage")
        self.setMinimumSize(640, 460)
        outer = QVBoxLayout(self)
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        outer.addWidget(self.intro)
        self.enabled = QCheckBox(self)
        outer.addWidget(self.enabled)
        form = QFormLayout()
        self.port = QSpinBox(self)
        self.port.setRange(1024, 65535)
        self.key = QLineEdit(self)
        self.key.setEchoMode(QLineEdit.EchoMode.PasswordEchoOnEdit)
        self.generate_key = QPushButton(self)
        key_row = QHBoxLayout()
        key_row.addWidget(self.key, 1)
        key_row.addWidget(self.generate_key)
        self.base_url = QLineEdit(self)
        self.base_url.setReadOnly(True)
        self.copy_url = QPushButton(self)
        url_row = QHBoxLayout()
        url_row.addWidget(self.base_url, 1)
        url_row.addWidget(self.copy_url)
        self.port_label, self.key_label, self.url_label = QLabel(self), QLabel(self), QLabel(self)
        form.addRow(self.port_label, self.port)
        form.addRow(self.key_label, key_row)
        form.addRow(self.url_label, url_row)
        outer.addLayout(form)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        self.log_label = QLabel(self)
        outer.addWidget(self.log_label)
        self.log = QTableWidget(0, LOG_COLUMNS, self)
        self.log.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.log.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.log.verticalHeader().hide()
        self.log.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.log.horizontalHeader().setStretchLastSection(True)
        outer.addWidget(self.log, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        self.retranslate()

    def retranslate(self) -> None:
        """Every fixed string, in the current language."""
        self.setWindowTitle(self.tr("Local API server"))
        self.intro.setText(self.tr(
            "Scripts and other programs on this computer can use the model loaded in this window through an "
            "OpenAI-compatible API. It listens on 127.0.0.1 only; requests wait their turn with your own "
            "questions."))
        self.enabled.setText(self.tr("&Serve the loaded model"))
        self.port_label.setText(self.tr("&Port"))
        self.port_label.setBuddy(self.port)
        self.key_label.setText(self.tr("API &key"))
        self.key_label.setBuddy(self.key)
        self.key.setPlaceholderText(self.tr("None: any program on this computer may call it"))
        self.key.setAccessibleName(self.tr("API key"))
        self.generate_key.setText(self.tr("Generate"))
        self.url_label.setText(self.tr("Base URL"))
        self.base_url.setAccessibleName(self.tr("Base URL"))
        self.copy_url.setText(self.tr("Copy"))
        self.copy_url.setAccessibleName(self.tr("Copy the base URL"))
        self.log_label.setText(self.tr("Recent requests"))
        self.log.setHorizontalHeaderLabels([self.tr("Time"), self.tr("Client"), self.tr("Status"),
                                            self.tr("Outcome"), self.tr("Tokens"), self.tr("ms")])
        self.log.setAccessibleName(self.tr("Recent requests"))
