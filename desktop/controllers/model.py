"""Which model is loaded: first-run page, "Open GGUF files…", background loading with progress."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog
from visiondesk.core.settings import Settings, SettingsRepository, apply_preset
from visiondesk.engine import ModelSpec
from visiondesk.engine.llama import LoadResult
from visiondesk.models.manager import ModelManager

from ..views.first_run import FirstRunView
from ..views.model_manager_dialog import ModelManagerDialog
from .gguf_choice import GGUF_FILTER, split_gguf_choice
from .model_manager import ModelManagerController

log = logging.getLogger(__name__)


def spec_from_settings(s: Settings) -> ModelSpec:
    """The engine's load request for the configured model."""
    assert s.model_path, "no model configured"
    layers: int | str = "auto" if s.gpu_layers == "auto" else 0 if s.gpu_layers == "cpu" else int(s.gpu_layers)
    return ModelSpec(model=Path(s.model_path), mmproj=Path(s.mmproj_path) if s.mmproj_path else None,
                     n_ctx=s.context_size, threads=s.threads, gpu_layers=layers,  # type: ignore[arg-type]
                     image_max_tokens=s.image_budget())


class ModelController(QObject):
    """Loads the configured model on the engine thread and shows where that stands."""

    loaded = Signal(object)  # LoadResult
    state_changed = Signal(str)  # "none", "loading", "loaded", "failed"

    def __init__(self, engine_worker: QObject, load: Callable[[ModelSpec], None], settings: Settings,
                 repository: SettingsRepository, first_run: FirstRunView,
                 show_chat: Callable[[bool], None], show_stage: Callable[[str], None], models: ModelManager,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._load, self.settings, self.repository = load, settings, repository
        self.first_run, self._show_chat, self._show_stage = first_run, show_chat, show_stage
        self.state = "none"
        self.result: LoadResult | None = None
        self.open_model_manager: Callable[[], None] = self._open_model_manager
        self.models = models
        self.model_manager: ModelManagerController | None = None  # made on first use
        engine_worker.loaded.connect(self._on_loaded)  # type: ignore[attr-defined]
        engine_worker.load_failed.connect(self._on_failed)  # type: ignore[attr-defined]
        first_run.get_model_button.clicked.connect(lambda: self.open_model_manager())
        first_run.open_files_button.clicked.connect(self.pick_files)

    def _set_state(self, state: str) -> None:
        self.state = state
        self.state_changed.emit(state)

    def start(self) -> None:
        """At startup: load the configured model, or show the first-run page."""
        if self.settings.model_path:
            self.load(first_run=False)
        else:
            self._show_chat(False)

    def load(self, first_run: bool) -> None:
        """Load the configured model in the background; ``first_run`` shows progress on that page."""
        name = Path(self.settings.model_path or "").name
        text = self.tr("Loading %1…").replace("%1", name)
        self.first_run.set_error("")
        if first_run or self.result is None and self.state == "failed":
            self._show_chat(False)
            self.first_run.set_loading(text)
        else:
            self._show_chat(True)
        self._show_stage(text)
        self._set_state("loading")
        try:
            self._load(spec_from_settings(self.settings))
        except ValueError as exc:  # e.g. a bad GPU layer count
            self._on_failed(str(exc))

    def use_files(self, model: Path, mmproj: Path | None) -> None:
        """Make ``model`` (and ``mmproj``) the configured model and load it."""
        self.settings.model_path = str(model)
        self.settings.mmproj_path = str(mmproj) if mmproj else None
        apply_preset(self.settings, model)
        self.repository.save(self.settings)
        self.load(first_run=self.result is None)

    def pick_files(self) -> None:
        """"Open GGUF files…": a model and, optionally, its projector (non-blocking dialog)."""
        parent = self.first_run.window()
        dialog = QFileDialog(parent, self.tr("Open a GGUF model and, for images, its projector"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter(GGUF_FILTER)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.filesSelected.connect(self._picked)
        dialog.open()

    def _picked(self, files: list[str]) -> None:
        model, mmproj = split_gguf_choice([Path(f) for f in files])
        if model is None:
            self.first_run.set_error(self.tr("Pick the model file too, not only the projector."))
            return
        self.use_files(model, mmproj)

    def _on_loaded(self, result: LoadResult) -> None:
        self.result = result
        self.first_run.set_loading("")
        self._show_stage("")
        self._show_chat(True)
        self._set_state("loaded")
        log.info("loaded %s on %s (%d GPU layers)", result.model.name, result.backend, result.gpu_layers)
        self.loaded.emit(result)

    def _on_failed(self, message: str) -> None:
        self.first_run.set_loading("")
        self._show_stage("")
        self.first_run.set_error(message)
        self._show_chat(False)
        self._set_state("failed")

    def _open_model_manager(self) -> None:
        """Show the model manager (made once and kept, so downloads go on while it is closed)."""
        if self.model_manager is None:
            dialog = ModelManagerDialog(self.first_run.window())
            self.model_manager = ModelManagerController(dialog, self.models, self.use_files,
                                                        context_size=self.settings.context_size, parent=self)
        dialog = self.model_manager.dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def close_model_manager(self) -> None:
        """At shutdown: pause its downloads (their partial files stay for the next session)."""
        if self.model_manager is not None:
            self.model_manager.close()
