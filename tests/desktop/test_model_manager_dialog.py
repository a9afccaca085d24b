"""The model manager dialog with real widgets, the real models API and the local fake Hugging Face Hub."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from huggingface_hub import constants as hf_constants
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from visiondesk.core.paths import DataPaths
from visiondesk.desktop.background import pending_jobs
from visiondesk.models.catalog import CatalogFile, ModelCatalog
from visiondesk.models.events import JobState
from visiondesk.models.fit import GIB, MachineMemory
from visiondesk.models.manager import ModelManager
from visiondesk.models.registry import ModelRegistry

from tests.desktop.conftest import open_shell
from tests.models.hf_server import FakeHub

REPO = "test-org/tiny-vision-GGUF"
MODEL_Q4, MODEL_Q8, MMPROJ = "tiny-vision-Q4_K_M.gguf", "tiny-vision-Q8_0.gguf", "mmproj-tiny-vision-f16.gguf"
LAPTOP = MachineMemory(ram_total=8 * GIB, ram_available=6 * GIB)  # no GPU: a fixed machine for the filters


@pytest.fixture
def hub(test_models, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    with FakeHub() as fake:
        fake.add_repo(REPO, {MODEL_Q4: test_models.model, MODEL_Q8: test_models.model,
                             MMPROJ: test_models.mmproj, "README.md": b"# tiny\n"})
        monkeypatch.setenv("HF_HUB_OFFLINE", "0")
        # huggingface_hub reads HF_HUB_OFFLINE once, on import, which may have happened under the root
        # conftest's HF_HUB_OFFLINE=1.
        monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        yield fake


def registry_in(data_dir: Path) -> ModelRegistry:
    paths = DataPaths.at(data_dir)
    return ModelRegistry(paths.model_registry, paths.models)


def tiny_catalog() -> ModelCatalog:
    shipped = ModelCatalog.load().entries
    tiny = dataclasses.replace(
        shipped[0], id="tiny-vision", title="Tiny Vision", repo=REPO, good_at=("photos",), params_b=0.01,
        quantizations={"Q4_K_M": CatalogFile(MODEL_Q4, 520_000), "Q8_0": CatalogFile(MODEL_Q8, 520_000)},
        default_quant="Q4_K_M", mmproj=CatalogFile(MMPROJ, 110_000), kv_bytes_per_token=64)
    return ModelCatalog([*shipped, tiny])


@pytest.fixture
def manager(qtbot, data_dir: Path):
    from visiondesk.desktop.controllers.model_manager import ModelManagerController
    from visiondesk.desktop.views.model_manager_dialog import ModelManagerDialog

    used: list[tuple[Path, Path | None]] = []
    dialog = ModelManagerDialog()
    qtbot.addWidget(dialog)
    models = ModelManager(registry_in(data_dir), catalog=tiny_catalog(), memory=lambda: LAPTOP)
    ctl = ModelManagerController(dialog, models, lambda m, p: used.append((m, p)), chunk_size=64 * 1024)
    ctl.used = used  # type: ignore[attr-defined]
    dialog.show()
    qtbot.waitUntil(lambda: ctl.memory is not None)
    yield ctl
    ctl.close()


def select_catalog(ctl, entry_id: str) -> None:
    row = [e.id for e in ctl.catalog.entries].index(entry_id)
    ctl.dialog.catalog_table.selectRow(row)


def select_installed(qtbot, ctl, name: str) -> None:
    qtbot.waitUntil(lambda: name in [m.name for m in ctl.installed])
    ctl.dialog.installed_table.selectRow([m.name for m in ctl.installed].index(name))


def wait_state(qtbot, item, state: JobState, timeout: int = 30_000) -> None:
    qtbot.waitUntil(lambda: item.state is state or item.state.finished, timeout=timeout)
    assert item.state is state, item.row.error.text()


def test_catalog_lists_entries_with_fit_and_filters_narrow_them(qtbot, manager) -> None:
    d, ids = manager.dialog, [e.id for e in manager.catalog.entries]
    assert d.catalog_table.rowCount() == len(ids) and manager.visible_catalog_ids() == ids
    fits = {e.id: d.catalog_table.item(r, 4).text() for r, e in enumerate(manager.catalog.entries)}
    assert fits["tiny-vision"] == "CPU only" and fits["gemma-3-12b"] == "Too big"  # 8 GiB RAM, no GPU
    assert "8.0 GiB" in d.catalog_table.item(ids.index("gemma-3-12b"), 4).toolTip()
    qtbot.keyClicks(d.search, "qwen")
    assert manager.visible_catalog_ids() == [i for i in ids if i.startswith("qwen")]  # every Qwen entry, in order
    assert {"qwen2.5-vl-3b", "qwen2.5-vl-7b", "qwen3-vl-2b"} <= set(manager.visible_catalog_ids())
    d.search.clear()
    d.category.setCurrentIndex(d.category.findData("small laptops"))
    assert set(manager.visible_catalog_ids()) == {e.id for e in manager.catalog.entries if "small laptops" in e.good_at}
    assert {"smolvlm2-2.2b", "moondream2"} <= set(manager.visible_catalog_ids())
    d.category.setCurrentIndex(0)
    d.fits_only.setChecked(True)
    visible = manager.visible_catalog_ids()
    assert "gemma-3-12b" not in visible and "tiny-vision" in visible and len(visible) < len(ids)
    select_catalog(manager, "tiny-vision")
    assert [d.quant.itemText(i) for i in range(d.quant.count())] == ["Q4_K_M", "Q8_0"]
    assert d.download_button.isEnabled() and "Tiny Vision" in d.catalog_details.text()


def test_real_machine_probe_gives_every_entry_a_verdict(qtbot, data_dir: Path) -> None:
    from visiondesk.desktop.controllers.model_manager import ModelManagerController
    from visiondesk.desktop.views.model_manager_dialog import ModelManagerDialog

    dialog = ModelManagerDialog()
    qtbot.addWidget(dialog)
    ctl = ModelManagerController(dialog, ModelManager(registry_in(data_dir)), lambda m, p: None)
    qtbot.waitUntil(lambda: ctl.memory is not None, timeout=20_000)
    labels = [dialog.catalog_table.item(r, 4).text() for r in range(dialog.catalog_table.rowCount())]
    assert labels and all(t in {"Fits on the GPU", "Partly on the GPU", "CPU only", "Too big"} for t in labels)
    assert all(ctl.fit_of(e) is not None for e in ctl.catalog.entries)


def test_catalog_download_with_progress_lands_in_installed(qtbot, hub, manager, data_dir: Path) -> None:
    d = manager.dialog
    select_catalog(manager, "tiny-vision")
    d.quant.setCurrentIndex(d.quant.findData("Q8_0"))
    d.quant.activated.emit(d.quant.currentIndex())
    hub.faults.throttle_bps = 2_000_000
    values: list[int] = []
    qtbot.mouseClick(d.download_button, Qt.MouseButton.LeftButton)
    item = manager.queue[-1]
    item.row.progress.valueChanged.connect(values.append)
    assert d.tabs.currentWidget() is d.downloads_page
    wait_state(qtbot, item, JobState.DONE)
    select_installed(qtbot, manager, "tiny-vision-q8_0")
    assert len(set(values)) >= 3 and values == sorted(values) and values[-1] == 1000
    assert "Installed" in item.row.state.text()
    m = manager.installed[0]
    assert m.quant == "Q8_0" and m.model.path.name == MODEL_Q8 and m.mmproj and m.mmproj.path.name == MMPROJ
    texts = [d.installed_table.item(0, c).text() for c in range(5)]
    assert texts[0] == "tiny-vision-q8_0" and texts[2] == "Q8_0" and texts[3] == REPO
    assert "0 bytes" not in d.disk_use.text() and not list(m.model.path.parent.glob("*.part*"))


def test_pause_then_resume_completes_from_the_partial_file(qtbot, hub, manager) -> None:
    hub.faults.throttle_bps = 300_000
    manager.dialog.repo_edit.setText(REPO)
    qtbot.keyClick(manager.dialog.repo_edit, Qt.Key.Key_Return)
    item = manager.queue[-1]
    qtbot.waitUntil(lambda: item.row.progress.value() > 0, timeout=30_000)
    qtbot.mouseClick(item.row.pause_button, Qt.MouseButton.LeftButton)
    wait_state(qtbot, item, JobState.PAUSED)
    assert item.row.resume_button.isVisibleTo(manager.dialog) and item.row.state.text() == "Paused"
    part = item.job.plan.folder / f"{MODEL_Q4}.part"
    kept = part.stat().st_size
    assert 0 < kept < len(hub.repos[REPO].files[MODEL_Q4])
    hub.faults.throttle_bps = None
    qtbot.mouseClick(item.row.resume_button, Qt.MouseButton.LeftButton)
    wait_state(qtbot, item, JobState.DONE)
    assert hub.range_starts[MODEL_Q4] == [0, kept]  # continued where it stopped, not from the start
    select_installed(qtbot, manager, item.job.plan.name)


def test_cancel_removes_partial_files(qtbot, hub, manager, data_dir: Path) -> None:
    hub.faults.throttle_bps = 300_000
    manager.download(REPO, None)
    item = manager.queue[-1]
    qtbot.waitUntil(lambda: item.row.progress.value() > 0, timeout=30_000)
    qtbot.mouseClick(item.row.cancel_button, Qt.MouseButton.LeftButton)
    wait_state(qtbot, item, JobState.CANCELLED)
    folder = item.job.plan.folder
    assert not list(folder.glob("*.part*")) and not (folder / MODEL_Q4).exists()
    assert "deleted" in item.row.detail.text()
    assert registry_in(data_dir).list() == []


def test_remove_asks_then_frees_the_disk(qtbot, hub, manager, data_dir: Path) -> None:
    item = manager.download(REPO, "Q4_K_M")
    wait_state(qtbot, item, JobState.DONE)
    name = item.job.plan.name
    select_installed(qtbot, manager, name)
    files = [manager.installed[0].model.path, manager.installed[0].mmproj.path]
    box = manager.remove_selected()
    qtbot.waitUntil(box.isVisible)
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: manager.dialog.findChild(QMessageBox, "confirmRemove") is None)
    assert all(f.exists() for f in files) and manager.installed and pending_jobs() == 0
    qtbot.mouseClick(manager.dialog.remove_button, Qt.MouseButton.LeftButton)
    box = manager.dialog.findChild(QMessageBox, "confirmRemove")
    qtbot.waitUntil(box.isVisible)
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: manager.installed == [] and "freed" in manager.dialog.installed_status.text())
    assert not any(f.exists() for f in files) and registry_in(data_dir).total_disk_use() == 0


def test_import_registers_local_files_and_verify_again(qtbot, manager, test_models, tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    model = Path(shutil.copy(test_models.model, folder / "my-model-Q4_K_M.gguf"))
    shutil.copy(test_models.mmproj, folder / "mmproj-my-model-f16.gguf")
    manager.import_files([model])  # the projector beside it is found by the models API
    select_installed(qtbot, manager, "my-model-Q4_K_M")
    m = manager.installed[0]
    assert m.mmproj is not None and m.mmproj.path.name == "mmproj-my-model-f16.gguf" and not m.owned
    qtbot.mouseClick(manager.dialog.verify_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "all files match" in manager.dialog.installed_status.text())
    qtbot.mouseClick(manager.dialog.use_button, Qt.MouseButton.LeftButton)
    assert manager.used == [(model, folder / "mmproj-my-model-f16.gguf")]


def test_every_control_is_named_and_reachable(qtbot, manager) -> None:
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QLineEdit, QTabBar, QTableWidget

    d = manager.dialog
    manager.download(REPO, None)  # a queue row too (its lookup fails: offline, which is fine here)
    kinds = (QAbstractButton, QComboBox, QLineEdit, QTableWidget)
    controls = [w for k in kinds for w in d.findChildren(k)  # less Qt's own parts (corner, clear, tab arrows)
                if not w.objectName().startswith("qt_") and not isinstance(w.parent(), (QLineEdit, QTabBar))]
    assert controls and all(w.accessibleName() for w in controls), [w for w in controls if not w.accessibleName()]
    assert all(w.focusPolicy() & Qt.FocusPolicy.TabFocus for w in controls)


def test_first_run_get_a_model_downloads_uses_and_chats(qtbot, hub, data_dir: Path) -> None:
    from tests.desktop.conftest import write_settings

    write_settings(data_dir)
    shell = open_shell(qtbot, data_dir, wait_loaded=False)
    try:
        assert shell.window.stack.currentWidget() is shell.window.first_run
        qtbot.mouseClick(shell.window.first_run.get_model_button, Qt.MouseButton.LeftButton)
        ctl = shell.model.model_manager
        assert ctl is not None and ctl.dialog.isVisible() and ctl.models.registry.path.parent == data_dir
        ctl.dialog.repo_edit.setText(REPO)
        qtbot.mouseClick(ctl.dialog.repo_download_button, Qt.MouseButton.LeftButton)
        wait_state(qtbot, ctl.queue[-1], JobState.DONE)
        select_installed(qtbot, ctl, ctl.queue[-1].job.plan.name)
        with qtbot.waitSignal(shell.model.loaded, timeout=30_000):
            qtbot.mouseClick(ctl.dialog.use_button, Qt.MouseButton.LeftButton)
        assert not ctl.dialog.isVisible() and shell.window.stack.currentWidget() is shell.window.chat_page
        assert Path(shell.settings.model_path).name == MODEL_Q4 and Path(shell.settings.mmproj_path).name == MMPROJ
        shell.window.composer.edit.setPlainText("Hello?")
        with qtbot.waitSignal(shell.chat.answer_finished, timeout=30_000) as blocker:
            qtbot.keyClick(shell.window.composer.edit, Qt.Key.Key_Return)
        assert blocker.args[0].error is None
        assert shell.store.messages(shell.chat.conversation_id)[-1].text.strip()
        shell.window.model_manager_action.trigger()  # the menu opens the same dialog again
        assert shell.model.model_manager is ctl and ctl.dialog.isVisible()
    finally:
        shell.shutdown()


def test_chinese_translation_is_live(qtbot, manager, data_dir: Path) -> None:
    from visiondesk.desktop.i18n import install_language

    d = manager.dialog
    try:
        assert install_language("zh_CN", data_dir / "i18n") == "zh_CN"
        qtbot.waitUntil(lambda: d.windowTitle() == "模型")  # LanguageChange is a posted event
        assert d.tabs.tabText(0) == "模型目录(&C)"
        assert d.use_button.text() == "使用此模型(&U)" and d.fits_only.text() == "适合本机(&F)"
        assert manager.tr("Too big") == "太大"
        row = d.add_download_row("x")
        assert row.pause_button.text() == "暂停"
    finally:
        install_language("en", data_dir / "i18n")
    qtbot.waitUntil(lambda: d.windowTitle() == "Models")
    assert d.tabs.tabText(0) == "&Catalog"


def test_results_arriving_after_close_are_dropped(qtbot, data_dir: Path) -> None:
    """A background result that comes back after shutdown finds no dialog: it is dropped, not an error."""
    import threading

    import shiboken6
    from visiondesk.desktop.controllers.model_manager import ModelManagerController
    from visiondesk.desktop.views.model_manager_dialog import ModelManagerDialog

    gate = threading.Event()

    def slow_probe() -> MachineMemory:
        gate.wait(20)
        return LAPTOP

    dialog = ModelManagerDialog()
    ctl = ModelManagerController(dialog, ModelManager(registry_in(data_dir), memory=slow_probe), lambda m, p: None)
    qtbot.waitUntil(lambda: pending_jobs() == 1)  # the installed list is in; the machine probe still runs
    ctl.close()
    shiboken6.delete(dialog)
    gate.set()
    qtbot.waitUntil(lambda: pending_jobs() == 0)
    assert ctl.memory is None


def test_a_corrupt_download_is_said_in_chinese_in_its_row(qtbot, hub, manager, data_dir: Path) -> None:
    """The Hub serves one byte of the projector flipped: the checksum differs, the row says so in Chinese."""
    from visiondesk.desktop.i18n import install_language

    hub.faults.flip_file, hub.faults.flip_at = MMPROJ, 5000
    try:
        assert install_language("zh_CN", data_dir / "i18n") == "zh_CN"
        item = manager.download(REPO, "Q4_K_M")
        wait_state(qtbot, item, JobState.FAILED)
        qtbot.waitUntil(lambda: item.row.error.text() != "")  # the failure follows the state change
        assert item.row.error.text() == (f"{MMPROJ} 已损坏：它的校验和与 Hub 公布的不一致。"
                                         "损坏的文件已删除，请重新下载。")
        assert item.row.error.isVisibleTo(manager.dialog)
    finally:
        install_language("en", data_dir / "i18n")
    assert registry_in(data_dir).list() == []
