"""The settings dialog's logic: fill it, apply presets, save, and apply theme, language and model."""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QWidget
from visiondesk.core.gpu_placement import normalize_gpu_placement
from visiondesk.core.settings import (
    Settings,
    SettingsError,
    SettingsRepository,
    apply_preset,
    preset_name,
    save_preset,
)
from visiondesk.engine.errors import VisionDeskError
from visiondesk.engine.llama.disk_cache import DiskCache

from ..error_text import error_text
from ..views.settings_dialog import SettingsDialog

log = logging.getLogger(__name__)
THEMES = ("system", "light", "dark")
LANGS = ("en", "zh_CN")
MB = 1024**2
MODEL_KEYS = ("model_path", "mmproj_path", "context_size", "gpu_layers", "gpu_split", "main_gpu", "threads",
              "image_budgets")


class SettingsController(QObject):
    """Owns the one ``Settings`` object the app shares; changes it in place when the dialog is accepted."""

    applied = Signal(object)  # the set of changed field names

    def __init__(self, settings: Settings, repository: SettingsRepository, parent_widget: QWidget,
                 apply_theme: Callable[[str], None], apply_language: Callable[[str], None],
                 reload_model: Callable[[], None], parent: QObject | None = None, *,
                 engine_cache: Path | None = None) -> None:
        """``engine_cache``: the engine's disk cache folder (``DataPaths.engine_cache``), shown and cleared here."""
        super().__init__(parent)
        self.settings, self.repository, self.parent_widget = settings, repository, parent_widget
        self.engine_cache = engine_cache
        self._apply_theme, self._apply_language, self._reload_model = apply_theme, apply_language, reload_model
        self.dialog: SettingsDialog | None = None

    def open(self) -> SettingsDialog:
        """Show the dialog (window-modal, non-blocking); returns it for tests."""
        dialog = SettingsDialog(self.parent_widget)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.fill(dialog, self.settings)
        dialog.model.browse.clicked.connect(lambda: self._browse(dialog, dialog.model.edit))
        dialog.mmproj.browse.clicked.connect(lambda: self._browse(dialog, dialog.mmproj.edit))
        dialog.model.edit.editingFinished.connect(lambda: self._model_changed(dialog))
        dialog.gpu_mode.currentIndexChanged.connect(lambda i: dialog.gpu_layers.setVisible(i == 1))
        dialog.gpu_split.textChanged.connect(lambda text: self._check_split(dialog, text))
        dialog.preset_choice.activated.connect(lambda i: self._preset_chosen(dialog, i))
        dialog.save_preset.clicked.connect(lambda: self._save_preset(dialog))
        dialog.accepted.connect(lambda: self.accept(dialog))
        dialog.clear_disk_cache.clicked.connect(lambda: self.clear_disk_cache(dialog))
        self.show_disk_usage(dialog)
        self.dialog = dialog
        dialog.open()
        return dialog

    @staticmethod
    def fill(d: SettingsDialog, s: Settings) -> None:
        """Settings → widgets."""
        d.model.edit.setText(s.model_path or "")
        d.mmproj.edit.setText(s.mmproj_path or "")
        SettingsController.fill_generation(d, s)
        d.drop_oldest.setChecked(s.drop_oldest_turns)
        d.threads.setValue(s.threads or 0)
        d.disk_cache_mb.setValue(s.engine_cache_mb)
        d.image_budget.setValue(s.image_budget())
        mode = 0 if s.gpu_layers == "auto" else 2 if s.gpu_layers == "cpu" else 1
        d.gpu_mode.setCurrentIndex(mode)
        d.gpu_layers.setValue(int(s.gpu_layers) if mode == 1 else 0)
        d.gpu_layers.setVisible(mode == 1)  # no "0" box beside "Automatic"
        d.gpu_split.setText(s.gpu_split)
        d.main_gpu.setValue(-1 if s.main_gpu is None else s.main_gpu)
        SettingsController.fill_presets(d, s)
        d.theme.setCurrentIndex(THEMES.index(s.theme) if s.theme in THEMES else 0)
        d.language.setCurrentIndex(LANGS.index(s.language) if s.language in LANGS else 0)
        d.preset_note.setText(QCoreApplication.translate(
            "SettingsDialog", "Temperature, top p, max tokens, context size and the system prompt can be "
            "remembered per model."))

    @staticmethod
    def fill_presets(d: SettingsDialog, s: Settings) -> None:
        """The saved presets by name; the configured model's preset selected."""
        d.preset_choice.clear()
        for path in sorted(s.presets, key=lambda p: preset_name(s, p).casefold()):
            d.preset_choice.addItem(f"{preset_name(s, path)} ({Path(path).name})", path)
        d.preset_choice.setPlaceholderText(QCoreApplication.translate("SettingsDialog", "No presets yet"))
        d.preset_choice.setCurrentIndex(d.preset_choice.findData(s.model_path) if s.model_path else -1)
        d.preset_name.setText(preset_name(s, s.model_path) if s.model_path else "")

    def _disk_cache(self, mb: int | None = None) -> DiskCache | None:
        if self.engine_cache is None:
            return None
        return DiskCache(self.engine_cache, (self.settings.engine_cache_mb if mb is None else mb) * MB)

    def show_disk_usage(self, dialog: SettingsDialog) -> None:
        """What the engine's disk cache takes now, beside its limit."""
        cache = self._disk_cache()
        used = cache.usage() if cache is not None else 0
        size = f"{used / MB:,.1f} MB" if used >= MB else f"{used / 1024:,.0f} KB"
        dialog.disk_cache_used.setText("" if cache is None else self.tr("%1 used").replace("%1", size))
        dialog.clear_disk_cache.setEnabled(cache is not None)

    def clear_disk_cache(self, dialog: SettingsDialog) -> None:
        """Empty the engine's disk cache (images are encoded and conversations read again when next needed)."""
        cache = self._disk_cache()
        if cache is not None:
            cache.clear()
        self.show_disk_usage(dialog)

    def _preset_chosen(self, dialog: SettingsDialog, index: int) -> None:
        path = dialog.preset_choice.itemData(index)
        if path in self.settings.presets:
            self.fill_generation(dialog, apply_preset(copy.deepcopy(self.settings), path))
            dialog.preset_name.setText(preset_name(self.settings, path))

    @staticmethod
    def fill_generation(d: SettingsDialog, s: Settings) -> None:
        """The fields a preset covers."""
        d.system_prompt.setPlainText(s.system_prompt)
        d.temperature.setValue(s.temperature)
        d.top_p.setValue(s.top_p)
        d.max_tokens.setValue(s.max_tokens)
        d.context_size.setValue(s.context_size)

    @staticmethod
    def read(d: SettingsDialog, base: Settings) -> Settings:
        """Widgets → a new validated ``Settings`` (presets carried over from ``base``)."""
        s = copy.deepcopy(base)
        s.model_path = d.model.edit.text().strip() or None
        s.mmproj_path = d.mmproj.edit.text().strip() or None
        s.system_prompt = d.system_prompt.toPlainText()
        s.temperature = round(d.temperature.value(), 2)
        s.top_p = round(d.top_p.value(), 2)
        s.max_tokens = d.max_tokens.value()
        s.context_size = d.context_size.value()
        s.drop_oldest_turns = d.drop_oldest.isChecked()
        s.gpu_layers = ("auto", str(d.gpu_layers.value()), "cpu")[d.gpu_mode.currentIndex()]
        s.threads = d.threads.value() or None
        s.engine_cache_mb = d.disk_cache_mb.value()
        s.gpu_split = d.gpu_split.text().strip() or "auto"
        s.main_gpu = None if d.main_gpu.value() < 0 else d.main_gpu.value()
        if s.model_path:  # the image budget belongs to the model in the form
            s.image_budgets = {**s.image_budgets, s.model_path: d.image_budget.value()}
        s.theme = THEMES[d.theme.currentIndex()]
        s.language = LANGS[d.language.currentIndex()]
        s.validate()
        return s

    def _browse(self, dialog: SettingsDialog, target: QWidget) -> None:
        picker = QFileDialog(dialog, self.tr("Choose a GGUF file"))
        picker.setNameFilter("GGUF (*.gguf);;All files (*)")
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.fileSelected.connect(lambda f: (target.setText(f), self._model_changed(dialog)))  # type: ignore[attr-defined]
        picker.open()

    def _model_changed(self, dialog: SettingsDialog) -> None:
        """A model with a saved preset brings its generation settings into the form."""
        path = dialog.model.edit.text().strip()
        dialog.image_budget.setValue(self.settings.image_budgets.get(path, 0))
        if path and path in self.settings.presets:
            preset = apply_preset(copy.deepcopy(self.settings), path)
            self.fill_generation(dialog, preset)

    def _save_preset(self, dialog: SettingsDialog) -> None:
        try:
            edited = self.read(dialog, self.settings)
        except SettingsError as exc:
            dialog.preset_note.setText(str(exc))
            return
        if not edited.model_path:
            dialog.preset_note.setText(QCoreApplication.translate("SettingsDialog", "Choose a model first."))
            return
        path = edited.model_path
        name = dialog.preset_name.text().strip() or Path(path).stem
        self.settings.presets[path] = save_preset(edited, path, name).presets[path]
        self.repository.save(self.settings)
        self.fill_presets(dialog, self.settings)
        dialog.preset_choice.setCurrentIndex(dialog.preset_choice.findData(path))
        dialog.preset_name.setText(name)
        dialog.preset_note.setText(QCoreApplication.translate(
            "SettingsDialog", "Saved the preset “%1” for %2.").replace("%1", name).replace("%2", Path(path).name))

    @staticmethod
    def _check_split(dialog: SettingsDialog, text: str) -> None:
        """A split the engine would refuse says why under the field, and OK waits until it is fixed."""
        try:
            normalize_gpu_placement(text.strip() or "auto", None)
            problem = ""
        except SettingsError as exc:
            problem = error_text(exc.__cause__) if isinstance(exc.__cause__, VisionDeskError) else str(exc)
        dialog.split_problem.setText(problem)
        dialog.split_problem.setVisible(bool(problem))
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def accept(self, dialog: SettingsDialog) -> None:
        """Apply the dialog's values."""
        try:
            new = self.read(dialog, self.settings)
        except SettingsError as exc:
            log.warning("settings rejected: %s", exc)
            return
        self.apply(new)

    def apply(self, new: Settings) -> set[str]:
        """Copy ``new`` into the shared settings, save, and apply what changed; returns the changes."""
        changed = {f.name for f in dataclasses.fields(Settings)
                   if getattr(new, f.name) != getattr(self.settings, f.name)}
        for name in changed:
            setattr(self.settings, name, copy.deepcopy(getattr(new, name)))
        self.repository.save(self.settings)
        if "engine_cache_mb" in changed and (cache := self._disk_cache()) is not None:
            cache.trim()  # a lower limit applies to what is there now; the engine follows from its next load
        if "theme" in changed:
            self._apply_theme(self.settings.theme)
        if "language" in changed and self.settings.language:
            self._apply_language(self.settings.language)
        if changed & set(MODEL_KEYS) and self.settings.model_path:
            self._reload_model()
        self.applied.emit(changed)
        return changed
