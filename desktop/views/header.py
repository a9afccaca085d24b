"""The bar above the conversation: model switcher, whether it sees images, where it runs, how full the context is."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QProgressBar, QSizePolicy, QWidget


class ModelSwitcher(QComboBox):
    """A combo box that says when it is about to open, so its list can be refreshed first."""

    about_to_show = Signal()

    def showPopup(self) -> None:
        """Refresh, then open."""
        self.about_to_show.emit()
        super().showPopup()


class ModelHeader(QFrame):
    """Layout only; ``HeaderController`` fills it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelHeader")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.setSpacing(10)
        self.switcher = ModelSwitcher(self)
        self.switcher.setObjectName("modelSwitcher")
        self.switcher.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.switcher.setMinimumContentsLength(18)
        self.switcher.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        layout.addWidget(self.switcher)
        self.vision = QLabel(self)
        self.vision.setObjectName("visionMark")
        layout.addWidget(self.vision)
        self.runs_on = QLabel(self)
        self.runs_on.setObjectName("runsOn")
        layout.addWidget(self.runs_on)
        layout.addStretch(1)
        self.context_label = QLabel(self)
        self.context_label.setObjectName("contextLabel")
        self.context_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        layout.addWidget(self.context_label)
        self.context_meter = QProgressBar(self)
        self.context_meter.setObjectName("contextMeter")
        self.context_meter.setTextVisible(False)
        self.context_meter.setFixedWidth(120)
        self.context_meter.setFixedHeight(8)
        self.context_meter.setRange(0, 1000)
        layout.addWidget(self.context_meter)
        self.setFrameShape(QFrame.Shape.NoFrame)

    def set_badge(self, label: QLabel, text: str, color: str) -> None:
        """A small rounded mark in ``color`` (empty text hides it)."""
        label.setText(text)
        if not text:
            label.hide()
            return
        label.setStyleSheet(f"QLabel {{ border: 1px solid {color}; color: {color}; border-radius: 8px; "
                            "padding: 1px 8px; }")
        label.setVisible(bool(text))

    def set_context(self, used: int, total: int, text: str) -> None:
        """The meter's fill (``used`` of ``total`` tokens) and its label; orange past 75 %, red past 90 %."""
        share = used / total if total else 0.0
        self.context_meter.setValue(int(min(share, 1.0) * 1000))
        color = "#d64545" if share > 0.9 else "#c17d11" if share > 0.75 else "palette(highlight)"
        self.context_meter.setStyleSheet(f"QProgressBar {{ border: none; border-radius: 4px; "
                                         f"background: palette(mid); }} QProgressBar::chunk {{ "
                                         f"border-radius: 4px; background: {color}; }}")
        self.context_label.setText(text)
        self.context_meter.setVisible(total > 0)
        self.context_label.setVisible(bool(text))
