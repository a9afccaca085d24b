"""The Servers page: the OpenAI-compatible servers the user added, one's settings, its test and its models."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from .follows_language import FollowsLanguage


class ServersDialog(FollowsLanguage, QDialog):
    """Layout only: the list of servers | the chosen server's form, its test result and its models."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serversDialog")
        self.resize(760, 480)
        self.servers_list = QListWidget(self)
        self.new_button = QPushButton(self)
        self.remove_button = QPushButton(self)
        left = QVBoxLayout()
        left.addWidget(self.servers_list, 1)
        row = QHBoxLayout()
        row.addWidget(self.new_button)
        row.addWidget(self.remove_button)
        left.addLayout(row)

        self.name_edit = QLineEdit(self)
        self.url_edit = QLineEdit(self)
        self.key_edit = QLineEdit(self)
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.ca_edit = QLineEdit(self)
        self.newest_image_only_check = QCheckBox(self)
        self.form = QFormLayout()
        self.name_label, self.url_label, self.key_label = QLabel(self), QLabel(self), QLabel(self)
        self.ca_label = QLabel(self)
        self.form.addRow(self.name_label, self.name_edit)
        self.form.addRow(self.url_label, self.url_edit)
        self.form.addRow(self.key_label, self.key_edit)
        self.form.addRow(self.ca_label, self.ca_edit)
        self.form.addRow("", self.newest_image_only_check)
        self.save_button = QPushButton(self)
        self.test_button = QPushButton(self)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.test_button)
        buttons.addStretch(1)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("serverStatus")
        self.status_label.setWordWrap(True)
        self.models_list = QListWidget(self)
        self.use_button = QPushButton(self)
        self.key_notice = QLabel(self)
        self.key_notice.setWordWrap(True)
        self.key_notice.setStyleSheet("color: palette(placeholder-text);")
        self.key_notice.hide()
        right = QVBoxLayout()
        right.addLayout(self.form)
        right.addLayout(buttons)
        right.addWidget(self.status_label)
        right.addWidget(self.models_list, 1)
        right.addWidget(self.use_button)
        right.addWidget(self.key_notice)

        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addLayout(right, 2)
        self.retranslate()

    def retranslate(self) -> None:
        """Every fixed string, in the current language."""
        self.setWindowTitle(self.tr("Servers"))
        self.new_button.setText(self.tr("New server"))
        self.remove_button.setText(self.tr("Remove"))
        self.name_label.setText(self.tr("Name"))
        self.url_label.setText(self.tr("Address"))
        self.key_label.setText(self.tr("API key"))
        self.name_edit.setPlaceholderText(self.tr("e.g. GPU server"))
        self.url_edit.setPlaceholderText("http://192.168.1.20:8000")
        self.key_edit.setPlaceholderText(self.tr("optional; kept in the system's credential store"))
        self.ca_label.setText(self.tr("CA bundle"))
        self.ca_edit.setPlaceholderText(self.tr("optional: a .pem file of your organisation's certificate authority"))
        self.newest_image_only_check.setText(self.tr(
            "Send only the newest image (for servers that take one image per prompt, such as vLLM with Llama 3.2 "
            "Vision)"))
        self.save_button.setText(self.tr("Save"))
        self.test_button.setText(self.tr("Test"))
        self.use_button.setText(self.tr("Use this model"))
        self.servers_list.setAccessibleName(self.tr("Servers"))
        self.models_list.setAccessibleName(self.tr("Models on this server"))
