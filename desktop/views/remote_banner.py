"""The line above the conversation that names the model and, for a remote server, says images leave."""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QWidget


class RemoteBanner(QFrame):
    """The model's name, and "Remote: HOST — images you send leave this computer" beside it when remote."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelBanner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 4, 16, 4)
        self.model_label = QLabel(self)
        self.model_label.setObjectName("modelName")
        self.remote_label = QLabel(self)
        self.remote_label.setObjectName("remoteWarning")
        self.remote_label.setStyleSheet("color: palette(link); font-weight: 600;")
        self.remote_label.hide()
        layout.addWidget(self.model_label)
        layout.addWidget(self.remote_label)
        layout.addStretch(1)
        self.hide()

    def show_model(self, name: str, remote_host: str | None) -> None:
        """Name the model; warn beside it when requests leave this computer (``remote_host`` set)."""
        self.model_label.setText(name)
        self.remote_label.setText(self.tr("Remote: %1 — images you send leave this computer")
                                  .replace("%1", remote_host) if remote_host else "")
        self.remote_label.setVisible(bool(remote_host))
        self.setVisible(bool(name))
