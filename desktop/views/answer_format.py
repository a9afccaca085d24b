"""The "Answer format" choice beside the composer. Layout only: ``AnswerFormatController`` fills and reads it."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QWidget

from .follows_language import FollowsLanguage


class AnswerFormatBox(FollowsLanguage, QWidget):
    """A label and a combo box: free text, any JSON object, or a preset's schema."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("answerFormat")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 0, 0)
        self.label = QLabel(self)
        self.combo = QComboBox(self)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.label.setBuddy(self.combo)
        layout.addWidget(self.label)
        layout.addWidget(self.combo)
        layout.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.retranslate()

    def retranslate(self) -> None:
        """The fixed strings (the choices are the controller's)."""
        self.label.setText(self.tr("Answer &format:"))
        self.combo.setAccessibleName(self.tr("Answer format"))
        self.combo.setToolTip(self.tr("Free text, or JSON: any object, or the fields of a task preset. "
                                      "Kept for this conversation."))
