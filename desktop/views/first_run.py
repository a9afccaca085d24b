"""The page shown while no model is loaded: get one, open GGUF files, or watch it load."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget


class FirstRunView(QWidget):
    """Layout only; ``ModelController`` sets its texts and state."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRun")
        outer = QVBoxLayout(self)
        outer.addStretch(2)
        box = QVBoxLayout()
        box.setSpacing(14)
        self.title = QLabel(self)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setStyleSheet("font-size: 22pt; font-weight: bold;")
        box.addWidget(self.title)
        self.explanation = QLabel(self)
        self.explanation.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.explanation.setWordWrap(True)
        self.explanation.setFixedWidth(560)
        box.addWidget(self.explanation, 0, Qt.AlignmentFlag.AlignHCenter)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.get_model_button = QPushButton(self)
        self.get_model_button.setMinimumHeight(36)
        self.open_files_button = QPushButton(self)
        self.open_files_button.setMinimumHeight(36)
        buttons.addWidget(self.get_model_button)
        buttons.addWidget(self.open_files_button)
        buttons.addStretch(1)
        box.addLayout(buttons)
        self.status = QLabel(self)
        self.status.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status.setWordWrap(True)
        self.status.setFixedWidth(560)
        box.addWidget(self.status, 0, Qt.AlignmentFlag.AlignHCenter)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)  # loading has no measurable progress: a busy indicator
        self.progress.setMaximumWidth(360)
        self.progress.setTextVisible(False)
        self.progress.hide()
        box.addWidget(self.progress, 0, Qt.AlignmentFlag.AlignHCenter)
        self.waiting = QLabel(self)  # images given before a model was there (Open With, a drop): not lost
        self.waiting.setObjectName("imagesWaiting")
        self.waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.waiting.setWordWrap(True)
        self.waiting.setFixedWidth(560)
        self.waiting.hide()
        box.addWidget(self.waiting, 0, Qt.AlignmentFlag.AlignHCenter)
        self.error = QLabel(self)
        self.error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.error.setWordWrap(True)
        self.error.setFixedWidth(560)
        self.error.setStyleSheet("color: #d64545;")
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        box.addWidget(self.error, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addLayout(box)
        outer.addStretch(3)

    def set_loading(self, text: str) -> None:
        """Show the busy indicator with ``text``; empty text hides it."""
        self.status.setText(text)
        self.progress.setVisible(bool(text))
        self.get_model_button.setEnabled(not text)
        self.open_files_button.setEnabled(not text)

    def set_waiting(self, text: str) -> None:
        """Say which attached images wait for a model; empty hides it."""
        self.waiting.setText(breakable(text))
        self.waiting.setVisible(bool(text))

    def set_error(self, text: str) -> None:
        """Show why loading failed; empty hides it. Long paths may wrap after any separator."""
        self.error.setText(breakable(text))
        self.error.setVisible(bool(text))


def breakable(text: str) -> str:
    """``text`` with a zero-width space after path separators, so a long path wraps instead of being cut."""
    return text.replace("/", "/\u200b").replace("\\", "\\\u200b")
