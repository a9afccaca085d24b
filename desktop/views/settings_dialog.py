"""The settings form, in sections with a search box. Layout only: ``SettingsController`` fills and applies it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from .follows_language import FollowsLanguage


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


class SettingsDialog(FollowsLanguage, QDialog):
    """Model, answers (with named presets), performance and appearance, each a titled section."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setMinimumWidth(600)
        self.resize(680, 640)
        outer = QVBoxLayout(self)
        self.search = QLineEdit(self)
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter)
        outer.addWidget(self.search)
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
        self.drop_oldest = QCheckBox(self)
        self.image_budget = QSpinBox(self)  # libmtmd's image_max_tokens for this model; 0: the model's own
        self.image_budget.setRange(0, 16384)
        self.image_budget.setSingleStep(256)
        gpu = QWidget(self)
        gpu_row = QHBoxLayout(gpu)
        gpu_row.setContentsMargins(0, 0, 0, 0)
        self.gpu_mode = QComboBox(gpu)
        self.gpu_layers = QSpinBox(gpu)  # shown only for "Number of layers"
        self.gpu_layers.setRange(0, 999)
        gpu_row.addWidget(self.gpu_mode, 1)
        gpu_row.addWidget(self.gpu_layers)
        self.gpu = gpu
        split = QWidget(self)  # several GPUs: how they share the layers, and what is wrong with a typed split
        split_column = QVBoxLayout(split)
        split_column.setContentsMargins(0, 0, 0, 0)
        self.gpu_split = QLineEdit(split)
        self.split_problem = QLabel(split)
        self.split_problem.setWordWrap(True)
        self.split_problem.hide()
        split_column.addWidget(self.gpu_split)
        split_column.addWidget(self.split_problem)
        self.split = split
        self.main_gpu = QSpinBox(self)
        self.main_gpu.setRange(-1, 15)  # -1 shows the special "automatic" text
        self.threads = QSpinBox(self)
        self.threads.setRange(0, 256)  # 0 shows the special "automatic" text
        disk = QWidget(self)  # the engine's disk cache: its size limit, what it uses now, and a way to empty it
        disk_row = QHBoxLayout(disk)
        disk_row.setContentsMargins(0, 0, 0, 0)
        self.disk_cache_mb = QSpinBox(disk)
        self.disk_cache_mb.setRange(0, 1_048_576)  # 0 shows the special "off" text
        self.disk_cache_mb.setSingleStep(512)
        self.disk_cache_used = QLabel(disk)
        self.clear_disk_cache = QPushButton(disk)
        disk_row.addWidget(self.disk_cache_mb, 1)
        disk_row.addWidget(self.disk_cache_used, 1)
        disk_row.addWidget(self.clear_disk_cache)
        self.disk_cache = disk
        self.theme = QComboBox(self)
        self.language = QComboBox(self)
        presets = QWidget(self)
        preset_row = QHBoxLayout(presets)
        preset_row.setContentsMargins(0, 0, 0, 0)
        self.preset_choice = QComboBox(presets)  # saved presets by name; choosing one fills the answer settings
        self.preset_name = QLineEdit(presets)
        self.save_preset = QPushButton(presets)
        preset_row.addWidget(self.preset_choice, 1)
        preset_row.addWidget(self.preset_name, 1)
        preset_row.addWidget(self.save_preset)
        self.presets = presets
        self.preset_note = QLabel(self)
        self.preset_note.setWordWrap(True)
        self.no_match = QLabel(self)
        self.no_match.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_match.hide()

        content = QWidget()
        column = QVBoxLayout(content)
        self.rows: list[tuple[QWidget, QWidget]] = []
        self.sections: list[tuple[QGroupBox, QFormLayout, list[tuple[QLabel, QWidget]]]] = []
        for fields in ((self.model, self.mmproj),
                       (self.system_prompt, self.temperature, self.top_p, self.max_tokens, self.context_size,
                        self.drop_oldest),
                       (self.image_budget, self.gpu, self.split, self.main_gpu, self.threads, self.disk_cache),
                       (self.theme, self.language)):
            self._section(column, fields)
        answers_form = self.sections[1][1]
        self.presets_label = QLabel(self)
        self.presets_label.setBuddy(self.preset_choice)
        answers_form.addRow(self.presets_label, self.presets)
        answers_form.addRow(self.preset_note)
        self.sections[1][2].append((self.presets_label, self.presets))
        column.addWidget(self.no_match)
        column.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        outer.addWidget(scroll, 1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        self.retranslate()

    def _section(self, column: QVBoxLayout, fields: tuple[QWidget, ...]) -> None:
        box = QGroupBox(self)
        form = QFormLayout(box)
        # Labels keep their full width; a row too narrow for both puts its field under the label instead.
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        rows = []
        for field in fields:
            label = QLabel(self)
            label.setBuddy(field)
            form.addRow(label, field)
            rows.append((label, field))
            self.rows.append((label, field))
        column.addWidget(box)
        self.sections.append((box, form, rows))

    def filter(self, text: str) -> None:
        """Show only the settings whose label, section or description mentions ``text``."""
        needle = text.strip().casefold()
        any_shown = False
        for box, form, rows in self.sections:
            in_title = bool(needle) and needle in box.title().casefold()
            shown = 0
            for label, field in rows:
                words = " ".join((label.text().replace("&", ""), field.accessibleName(), field.toolTip()))
                visible = not needle or in_title or needle in words.casefold()
                form.setRowVisible(label, visible)
                shown += visible
            box.setVisible(shown > 0)
            any_shown = any_shown or shown > 0
        self.no_match.setVisible(not any_shown)

    def retranslate(self) -> None:
        """Every visible string, in the current language."""
        self.setWindowTitle(self.tr("Settings"))
        self.search.setPlaceholderText(self.tr("Search settings"))
        self.search.setAccessibleName(self.tr("Search settings"))
        self.no_match.setText(self.tr("No setting matches."))
        for (box, _form, _rows), title in zip(self.sections, (
                self.tr("Model"), self.tr("Answers"), self.tr("Performance"), self.tr("Appearance")), strict=True):
            box.setTitle(title)
        labels = [self.tr("&Model file"), self.tr("&Projector (mmproj)"), self.tr("S&ystem prompt"),
                  self.tr("&Temperature"), self.tr("Top &p"), self.tr("Ma&x tokens"),
                  self.tr("&Context size"), self.tr("&When the context is full"), self.tr("Image token &budget"),
                  self.tr("&GPU layers"), self.tr("GPU spl&it"), self.tr("Main GP&U"), self.tr("T&hreads"),
                  self.tr("&Disk cache"),
                  self.tr("Th&eme"), self.tr("&Language")]
        for (label, field), text in zip(self.rows, labels, strict=True):
            label.setText(text)
            field.setAccessibleName(text.replace("&", ""))
        self.temperature.setToolTip(self.tr("Higher is more varied, 0 always picks the likeliest word"))
        self.top_p.setToolTip(self.tr("Sample only from the likeliest words that together reach this share"))
        self.max_tokens.setToolTip(self.tr("The longest answer, in tokens"))
        self.context_size.setToolTip(self.tr("How much of the conversation the model reads, in tokens"))
        self.threads.setToolTip(self.tr("CPU threads for the model. Automatic: measured at the first two loads of "
                                        "each model and remembered in the engine cache (Clear measures again)"))
        self.disk_cache_mb.setSuffix(self.tr(" MB"))
        self.disk_cache_mb.setSpecialValueText(self.tr("Off"))
        self.disk_cache_mb.setAccessibleName(self.tr("Disk cache size limit"))
        self.disk_cache_mb.setToolTip(self.tr("Disk the app may use to remember encoded images and conversations "
                                              "across restarts, so a follow-up after a restart answers at once"))
        self.clear_disk_cache.setText(self.tr("Clear"))
        self.clear_disk_cache.setAccessibleName(self.tr("Clear the disk cache"))
        self.drop_oldest.setText(self.tr("Drop the oldest turns"))
        self.drop_oldest.setToolTip(self.tr("Leave the oldest messages out of what the model reads (the system "
                                            "prompt and the newest message stay); a line in the conversation "
                                            "marks the cut"))
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
        self.gpu_split.setPlaceholderText(self.tr("auto, even, or one share per GPU such as 3,1"))
        self.gpu_split.setToolTip(self.tr("How several GPUs share the model's layers: auto (by free memory), even, "
                                          "or one share per GPU such as 3,1"))
        self.gpu_split.setAccessibleName(self.tr("GPU split"))
        self.main_gpu.setSpecialValueText(self.tr("Automatic"))
        self.main_gpu.setToolTip(self.tr("The GPU (from 0) that holds the vision projector; Automatic: the one with "
                                         "the most free memory"))
        self.presets_label.setText(self.tr("P&resets"))
        self.presets.setAccessibleName(self.tr("Presets"))
        self.preset_choice.setAccessibleName(self.tr("Saved presets"))
        self.preset_choice.setToolTip(self.tr("Choose a saved preset to fill in the answer settings"))
        self.preset_name.setPlaceholderText(self.tr("Preset name"))
        self.preset_name.setAccessibleName(self.tr("Preset name"))
        self.save_preset.setText(self.tr("Save preset"))
        self.save_preset.setAccessibleName(self.tr("Save as preset for this model"))
        self.save_preset.setToolTip(self.tr("Save as preset for this model"))
        self._set_items(self.gpu_mode, [self.tr("Automatic"), self.tr("Number of layers"),
                                        self.tr("CPU only")])
        self._set_items(self.theme, [self.tr("System"), self.tr("Light"), self.tr("Dark")])
        self._set_items(self.language, ["English", "简体中文"])
        self.filter(self.search.text())

    @staticmethod
    def _set_items(combo: QComboBox, texts: list[str]) -> None:
        index = combo.currentIndex()
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(texts)
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)
