"""Issue 18, defect 10: settings in sections with a search box, labels never clipped, no "0" box beside
"Automatic", presets with names."""

from __future__ import annotations

from pathlib import Path


def clipped_labels(dialog) -> list[str]:
    rows = [label for label, _field in dialog.rows] + [dialog.presets_label]
    return [label.text() for label in rows
            if label.isVisibleTo(dialog) and label.width() < label.sizeHint().width()]


def test_sections_search_and_unclipped_labels(qtbot, shell, data_dir: Path):
    from visiondesk.desktop.i18n import install_language

    d = shell.settings_controller.open()
    qtbot.waitExposed(d)
    assert [box.title() for box, _f, _r in d.sections] == ["Model", "Answers", "Performance", "Appearance"]
    assert clipped_labels(d) == []
    d.resize(d.minimumWidth(), d.height())  # the narrowest the dialog goes
    qtbot.wait(20)
    assert clipped_labels(d) == []
    d.search.setText("temp")
    form = d.sections[1][1]
    assert form.isRowVisible(d.temperature) and not form.isRowVisible(d.top_p)
    assert not d.sections[0][0].isVisibleTo(d) and not d.sections[3][0].isVisibleTo(d)
    d.search.setText("appearance")  # a section's title shows all of it
    assert d.sections[3][0].isVisibleTo(d) and d.sections[3][1].isRowVisible(d.language)
    d.search.setText("no such setting")
    assert d.no_match.isVisibleTo(d)
    d.search.clear()
    assert all(box.isVisibleTo(d) for box, _f, _r in d.sections) and not d.no_match.isVisibleTo(d)
    try:
        install_language("zh_CN", data_dir / "i18n")
        qtbot.waitUntil(lambda: d.windowTitle() != "Settings", timeout=3_000)
        qtbot.wait(20)
        assert clipped_labels(d) == []
    finally:
        install_language("en", data_dir / "i18n")
    d.reject()


def test_gpu_layer_count_only_for_a_number_of_layers(qtbot, shell):
    d = shell.settings_controller.open()
    qtbot.waitExposed(d)
    d.gpu_mode.setCurrentIndex(0)
    assert not d.gpu_layers.isVisibleTo(d)  # "Automatic" has no "0" box beside it
    d.gpu_mode.setCurrentIndex(1)
    assert d.gpu_layers.isVisibleTo(d)
    d.gpu_mode.setCurrentIndex(2)
    assert not d.gpu_layers.isVisibleTo(d)
    d.reject()


def test_gpu_split_and_main_gpu(qtbot, shell):
    """Several GPUs: a split the engine would refuse says why under the field and holds OK back; a good one
    reaches the model's load request."""
    from PySide6.QtWidgets import QDialogButtonBox
    from visiondesk.desktop.controllers.model import spec_from_settings
    from visiondesk.desktop.controllers.settings import SettingsController

    d = shell.settings_controller.open()
    qtbot.waitExposed(d)
    ok = d.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert d.gpu_split.text() == "auto" and d.main_gpu.text() == "Automatic"
    assert d.sections[2][1].isRowVisible(d.split) and d.sections[2][1].isRowVisible(d.main_gpu)
    d.gpu_split.setText("1,-1")
    assert d.split_problem.isVisibleTo(d) and not ok.isEnabled()
    assert d.split_problem.text() == ("The GPU split must be 'auto', 'even' or one share per GPU separated by "
                                      "commas, such as 3,1 (at most 16, not all 0), not 1,-1.")
    shell.set_language("zh_CN")
    try:
        d.gpu_split.setText("1,x")
        assert d.split_problem.text().startswith("GPU 分配") and d.split_problem.text().endswith("而不是 1,x。")
    finally:
        shell.set_language("en")
    d.gpu_split.setText(" 3, 1 ")
    assert not d.split_problem.isVisibleTo(d) and ok.isEnabled()
    d.main_gpu.setValue(1)
    chosen = SettingsController.read(d, shell.settings)
    assert (chosen.gpu_split, chosen.main_gpu) == ("3,1", 1)
    spec = spec_from_settings(chosen)
    assert (spec.gpu_split, spec.main_gpu) == ((3.0, 1.0), 1)
    d.reject()


def test_presets_have_names(qtbot, shell):
    d = shell.settings_controller.open()
    assert d.preset_choice.count() == 0 and d.preset_name.text() == Path(shell.settings.model_path).stem
    d.temperature.setValue(0.15)
    d.preset_name.setText("Receipts")
    d.save_preset.click()
    assert "Receipts" in d.preset_note.text()
    saved = shell.repository.load()
    assert saved.presets[saved.model_path]["name"] == "Receipts"
    assert saved.presets[saved.model_path]["temperature"] == 0.15
    d.reject()
    again = shell.settings_controller.open()
    assert again.preset_choice.currentText().startswith("Receipts")
    again.temperature.setValue(1.0)
    again.preset_choice.activated.emit(0)  # choosing the preset fills its values back in
    assert again.temperature.value() == 0.15
    again.reject()
