"""Which model is loaded: first-run page, "Open GGUF files…", background loading, and never a dead end.

A model the user picks is only a candidate until it has loaded: its files are checked first (off the UI
thread), and it becomes the saved choice when the engine reports it loaded. If it fails, the model that
worked stays in use (reloaded if the engine had already let it go) and the settings keep pointing at it.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog
from visiondesk.core.settings import Settings, SettingsRepository, apply_preset
from visiondesk.engine import BackendInfo, ModelSpec
from visiondesk.engine.number_rules import parse_gpu_split
from visiondesk.models.manager import ModelManager
from visiondesk.models.pairing import PairCheck, check_model_pair, find_mmproj_beside

from ..background import BackgroundJob
from ..error_text import error_text
from ..views.first_run import FirstRunView
from ..views.model_manager_dialog import ModelManagerDialog
from .gguf_choice import GGUF_FILTER, split_gguf_choice
from .model_manager import ModelManagerController

log = logging.getLogger(__name__)


def spec_from_settings(s: Settings, parallel: int = 1) -> ModelSpec:
    """The engine's load request for the configured model, with ``parallel`` sequences (a batch job's slots)."""
    assert s.model_path, "no model configured"
    layers: int | str = "auto" if s.gpu_layers == "auto" else 0 if s.gpu_layers == "cpu" else int(s.gpu_layers)
    return ModelSpec(model=Path(s.model_path), mmproj=Path(s.mmproj_path) if s.mmproj_path else None,
                     n_ctx=s.context_size, threads=s.threads, gpu_layers=layers,  # type: ignore[arg-type]
                     gpu_split=parse_gpu_split(s.gpu_split), main_gpu=s.main_gpu,  # type: ignore[arg-type]
                     image_max_tokens=s.image_budget(), parallel=parallel)


def pair_beside(model: Path, mmproj: Path | None) -> tuple[Path, Path | None, PairCheck]:
    """Runs on a pool thread: find the projector beside ``model`` when none was picked, then check the pair."""
    if mmproj is None:
        mmproj = find_mmproj_beside(model)
    return model, mmproj, check_model_pair(model, mmproj)


class ModelController(QObject):
    """Loads the chosen model on the engine thread and shows where that stands."""

    loaded = Signal(object)  # LoadResult (a BackendInfo)
    state_changed = Signal(str)  # "none", "checking", "loading", "loaded", "failed"

    def __init__(self, engine_worker: QObject, load: Callable[[object], None], settings: Settings,
                 repository: SettingsRepository, first_run: FirstRunView,
                 show_chat: Callable[[bool], None], show_stage: Callable[[str], None], models: ModelManager,
                 parent: QObject | None = None, show_notice: Callable[[str], None] | None = None) -> None:
        super().__init__(parent)
        self._load, self.settings, self.repository = load, settings, repository
        self.first_run, self._show_chat, self._show_stage = first_run, show_chat, show_stage
        self._notice = show_notice or (lambda _text: None)
        self.state = "none"
        self.result: BackendInfo | None = None
        self.last_error = ""
        self._good: tuple[str | None, str | None] | None = None  # settings paths of the model that loaded
        self._candidate: tuple[Path, Path | None] | None = None  # picked, loading, not saved yet
        self._restoring = False
        self.parallel = 1  # sequences the local model is loaded with: more only while a batch job wants them
        self.open_model_manager: Callable[[], None] = self._open_model_manager
        self.models = models
        self.model_manager: ModelManagerController | None = None  # made on first use
        engine_worker.loaded.connect(self._on_loaded)  # type: ignore[attr-defined]
        engine_worker.load_error.connect(self._on_failed)  # type: ignore[attr-defined]
        first_run.get_model_button.clicked.connect(lambda: self.open_model_manager())
        first_run.open_files_button.clicked.connect(self.pick_files)

    def _set_state(self, state: str) -> None:
        self.state = state
        self.state_changed.emit(state)

    @property
    def loading_name(self) -> str:
        """The file name of the model being checked or loaded."""
        if self._candidate is not None:
            return self._candidate[0].name
        return Path(self.settings.model_path or "").name

    def start(self) -> None:
        """At startup: load the configured model, or show the first-run page."""
        if self.settings.model_path:
            self.load(first_run=False)
        else:
            self._show_chat(False)

    def load(self, first_run: bool) -> None:
        """Load the configured model (or the candidate) in the background."""
        text = self.tr("Loading %1…").replace("%1", self.loading_name)
        self.first_run.set_error("")
        if first_run or self.result is None and self.state == "failed":
            self._show_chat(False)
            self.first_run.set_loading(text)
        self._show_stage(text)
        self._set_state("loading")
        spec_settings = copy.copy(self.settings)
        if self._candidate is not None:
            spec_settings.model_path = str(self._candidate[0])
            spec_settings.mmproj_path = str(self._candidate[1]) if self._candidate[1] else None
        try:
            self._load(spec_from_settings(spec_settings, self.parallel))
        except ValueError as exc:  # e.g. a bad GPU layer count
            self._on_failed(exc)

    def reload_with_slots(self, parallel: int) -> None:
        """Load the model in use again with ``parallel`` sequences (0: by free memory; 1: the chat's own)."""
        self.parallel = parallel
        self.load(first_run=False)

    def load_target(self, target: object, label: str) -> None:
        """Load another kind of target (a model on a server: ``RemoteTarget``) the same way, named ``label``."""
        self.parallel = 1
        self.first_run.set_error("")
        self._show_chat(self.result is not None)
        self._show_stage(self.tr("Connecting to %1…").replace("%1", label))
        self._set_state("loading")
        self._load(target)

    def use_files(self, model: Path, mmproj: Path | None) -> None:
        """Try ``model`` (with ``mmproj``, or the projector found beside it); it is saved once it has loaded."""
        self.parallel = 1  # another model: a batch job's slots were for the one left behind
        self._set_state("checking")
        text = self.tr("Checking %1…").replace("%1", model.name)
        self._show_stage(text)
        if self.result is None:
            self.first_run.set_error("")
            self.first_run.set_loading(text)
        BackgroundJob(op=lambda: pair_beside(model, mmproj), success=self._checked,
                      failure=lambda exc: self._check_failed(model, error_text(exc))).start()

    def _checked(self, found: tuple[Path, Path | None, PairCheck]) -> None:
        model, mmproj, check = found
        if not check.ok:
            self._check_failed(model, check.message)
            return
        self._candidate = (model, mmproj)
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
            self._report(self.tr("Pick the model file too, not only the projector."))
            return
        self.use_files(model, mmproj)

    def _on_loaded(self, result: BackendInfo) -> None:
        if self._candidate is not None:  # the pick worked: now it is the saved choice
            model, mmproj = self._candidate
            self._candidate = None
            self.settings.model_path = str(model)
            self.settings.mmproj_path = str(mmproj) if mmproj else None
            apply_preset(self.settings, model)
            self.repository.save(self.settings)
        self._good = (self.settings.model_path, self.settings.mmproj_path)
        self._restoring = False
        self.result = result
        self.last_error = ""
        self.first_run.set_loading("")
        self._show_stage("")
        self._show_chat(True)
        self._set_state("loaded")
        log.info("loaded %s on %s", result.model_name, result.runs_on)
        if result.vision is False:
            self._notice(self.tr("%1 cannot see images: it was opened without a vision projector (mmproj), and "
                                 "none that fits was found beside it. Text questions work; for images add its "
                                 "mmproj file (Open GGUF files… with both files, or the model manager).")
                         .replace("%1", result.model_name))
        self.loaded.emit(result)

    def _check_failed(self, model: Path, message: str) -> None:
        """The picked files are unusable: nothing reached the engine, so what was loaded stays loaded."""
        self._show_stage("")
        self.first_run.set_loading("")
        if self.result is not None:
            message = self.tr("%1 could not be loaded, so %2 stays in use. %3").replace("%1", model.name) \
                .replace("%2", self.result.model_name).replace("%3", message)
        self._report(message)

    def _on_failed(self, error: BaseException) -> None:
        message = error_text(error)
        tried = self.loading_name
        self._candidate = None
        self.parallel = 1  # the model that worked comes back as the chat had it
        self.first_run.set_loading("")
        self._show_stage("")
        if self.result is not None and not self._restoring:
            # Keep working with the model that worked; reload it in case the engine let it go.
            self._report(self.tr("%1 could not be loaded, so %2 stays in use. %3").replace("%1", tried)
                         .replace("%2", self.result.model_name).replace("%3", message))
            if self._good is not None and (self.settings.model_path, self.settings.mmproj_path) != self._good:
                self.settings.model_path, self.settings.mmproj_path = self._good
                self.repository.save(self.settings)
            self._restoring = True
            self.load(first_run=False)
            return
        self._restoring = False
        self.result = None
        self._report(message)
        self._show_chat(False)
        self._set_state("failed")

    def _report(self, message: str) -> None:
        self.last_error = message
        self.first_run.set_error(message)
        self._notice(message)
        if self.state == "checking":
            self._set_state("loaded" if self.result is not None else "none")

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
