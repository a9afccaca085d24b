"""The settings form. Layout only: ``SettingsController`` fills it, reads it and applies it."""

from __future__ import annotations

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)


class PathField(QWidget):
    """A line edit with a Browse… button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(self)
        self.browse = QPushButton(self)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.browse)


class SettingsDialog(QDialog):
    """Model, generation, performance and appearance settings."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setMinimumWidth(560)
        outer = QVBoxLayout(self)
        self.form = QFormLayout()
        self.model = PathField(self)
        self.mmproj = PathField(self)
        self.system_prompt = QPlainTextEdit(self)
        self.system_prompt.setTabChangesFocus(True)
        self.system_prompt.setFixedHeight(80)
        self.temperature = QDoubleSpinBox(self)
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.05)
        self.top_p = QDoubleSpinBox(self)
        self.top_p.setRange(0.0, 1.0)
        self.top_p.setSingleStep(0.05)
        self.max_tokens = QSpinBox(self)
        self.max_tokens.setRange(1, 131072)
        self.context_size = QSpinBox(self)
        self.context_size.setRange(256, 262144)
        self.context_size.setSingleStep(1024)
        self.image_budget = QSpinBox(self)  # libmtmd's image_max_tokens for this model; 0: the model's own
        self.image_budget.setRange(0, 16384)
        self.image_budget.setSingleStep(256)
        gpu = QWidget(self)
        gpu_row = QHBoxLayout(gpu)
        gpu_row.setContentsMargins(0, 0, 0, 0)
        self.gpu_mode = QComboBox(gpu)
        self.gpu_layers = QSpinBox(gpu)
        self.gpu_layers.setRange(0, 999)
        gpu_row.addWidget(self.gpu_mode, 1)
        gpu_row.addWidget(self.gpu_layers)
        self.gpu = gpu
        self.threads = QSpinBox(self)
        self.threads.setRange(0, 256)  # 0 shows the special "automatic" text
        self.theme = QComboBox(self)
        self.language = QComboBox(self)
        self.preset_note = QLabel(self)
        self.preset_note.setWordWrap(True)
        self.save_preset = QPushButton(self)
        self.rows: list[tuple[QWidget, QWidget]] = []
        for field in (self.model, self.mmproj, self.system_prompt, self.temperature, self.top_p,
                      self.max_tokens, self.context_size, self.image_budget, self.gpu, self.threads, self.theme,
                      self.language):
            label = QLabel(self)
            label.setBuddy(field)
            self.form.addRow(label, field)
            self.rows.append((label, field))
        outer.addLayout(self.form)
        preset_row = QHBoxLayout()
        preset_row.addWidget(self.preset_note, 1)
        preset_row.addWidget(self.save_preset)
        outer.addLayout(preset_row)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        self.retranslate()

    def changeEvent(self, event: QEvent) -> None:
        """Follow a language switch."""
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def retranslate(self) -> None:
        """Every visible string, in the current language."""
        self.setWindowTitle(self.tr("Settings"))
        labels = [self.tr("&Model file"), self.tr("&Projector (mmproj)"), self.tr("S&ystem prompt"),
                  self.tr("&Temperature"), self.tr("Top &p"), self.tr("Ma&x tokens"),
                  self.tr("&Context size"), self.tr("Image token &budget"), self.tr("&GPU layers"), self.tr("T&hreads"),
                  self.tr("Th&eme"), self.tr("&Language")]
        for (label, field), text in zip(self.rows, labels, strict=True):
            label.setText(text)
            field.setAccessibleName(text.replace("&", ""))
        for path_field in (self.model, self.mmproj):
            path_field.browse.setText(self.tr("Browse…"))
        self.model.edit.setAccessibleName(self.tr("Model file"))
        self.model.browse.setAccessibleName(self.tr("Browse for the model file"))
        self.mmproj.edit.setAccessibleName(self.tr("Projector file"))
        self.mmproj.browse.setAccessibleName(self.tr("Browse for the projector file"))
        self.mmproj.edit.setPlaceholderText(self.tr("None: text only"))
        self.threads.setSpecialValueText(self.tr("Automatic"))
        self.image_budget.setSpecialValueText(self.tr("The model's own"))
        self.image_budget.setToolTip(self.tr("Tokens an image may take, for models that read images at their own "
                                             "size (Qwen-VL, Pixtral, LFM2-VL): more reads small text better and "
                                             "costs time and context. Kept per model."))
        self.gpu_mode.setAccessibleName(self.tr("GPU offload mode"))
        self.gpu_layers.setAccessibleName(self.tr("Number of GPU layers"))
        self.save_preset.setText(self.tr("Save as preset for this model"))
        self.save_preset.setAccessibleName(self.save_preset.text())
        self._set_items(self.gpu_mode, [self.tr("Automatic"), self.tr("Number of layers"),
                                        self.tr("CPU only")])
        self._set_items(self.theme, [self.tr("System"), self.tr("Light"), self.tr("Dark")])
        self._set_items(self.language, ["English", "简体中文"])

    @staticmethod
    def _set_items(combo: QComboBox, texts: list[str]) -> None:
        index = combo.currentIndex()
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(texts)
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)
