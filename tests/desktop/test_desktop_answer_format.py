"""The Answer format beside the composer: a preset's schema yields JSON that validates, kept per conversation."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from visiondesk.batch import find_preset

from tests.desktop.conftest import open_shell, write_settings

RECEIPT = find_preset("receipt")


def choose(shell, value: str) -> None:
    """Pick a choice as the user does (the combo's ``activated``)."""
    combo = shell.window.answer_format.combo
    index = combo.findData(value)
    assert index >= 0, [combo.itemData(i) for i in range(combo.count())]
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def ask(qtbot, shell, text: str) -> str:
    shell.window.composer.edit.setPlainText(text)
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=120_000) as done:
        shell.composer.submit()
    assert done.args[0].error is None, done.args[0].error
    return shell.store.messages(shell.chat.conversation_id)[-1].text


def test_a_preset_schema_answer_validates_and_is_kept(qtbot, json_shell) -> None:
    combo = json_shell.window.answer_format.combo
    assert combo.currentData() == "" and combo.isVisible()
    assert {combo.itemData(i) for i in range(combo.count())} >= {"", "json_object", "preset:receipt"}
    choose(json_shell, "preset:receipt")
    answers = [ask(qtbot, json_shell, "Read this receipt."), ask(qtbot, json_shell, "And again.")]
    for answer in answers:
        jsonschema.validate(json.loads(answer), RECEIPT.schema)
    receipt_chat = json_shell.chat.conversation_id
    assert json_shell.store.answer_format(receipt_chat) == "preset:receipt"

    json_shell.conversations.new_chat()
    assert combo.currentData() == "", "a new chat starts as free text"
    choose(json_shell, "json_object")
    assert isinstance(json.loads(ask(qtbot, json_shell, "Describe it.")), dict)
    object_chat = json_shell.chat.conversation_id
    assert object_chat != receipt_chat and json_shell.store.answer_format(object_chat) == "json_object"

    json_shell.conversations.select(receipt_chat)
    assert combo.currentData() == "preset:receipt"
    choose(json_shell, "")
    assert json_shell.chat.sampling().response_format is None
    assert json_shell.store.answer_format(receipt_chat) == ""


def test_the_choice_survives_a_restart(qtbot, data_dir: Path, json_models: tuple[Path, Path]) -> None:
    write_settings(data_dir, model_path=str(json_models[0]), mmproj_path=str(json_models[1]), temperature=0.9,
                   max_tokens=400)
    shell = open_shell(qtbot, data_dir)
    choose(shell, "json_object")
    ask(qtbot, shell, "Hi")
    conv = shell.chat.conversation_id
    shell.shutdown()
    again = open_shell(qtbot, data_dir)
    try:
        again.conversations.select(conv)
        assert again.window.answer_format.combo.currentData() == "json_object"
        assert again.chat.sampling().response_format is not None
    finally:
        again.shutdown()


def test_chinese_labels(qtbot, data_dir: Path, test_models) -> None:
    write_settings(data_dir, language="zh_CN")
    shell = open_shell(qtbot, data_dir, wait_loaded=False)
    try:
        w = shell.window
        assert w.answer_format.combo.itemText(0) == "自由文本"
        assert w.tools_menu.title() == "工具(&T)" and w.batch_action.text() == "批量处理(&B)…"
        assert shell.batch.open().windowTitle() == "批量处理"
        assert shell.api_server.open().windowTitle() == "本地 API 服务"
    finally:
        shell.shutdown()


def test_a_preset_the_grammar_cannot_enforce_is_refused_when_chosen(qtbot, data_dir: Path, test_models) -> None:
    """Presets are checked at first use (checking imports jsonschema, which start-up does without): a user's preset
    with a ``minimum`` is listed, and choosing it says why it cannot be used and keeps free text."""
    write_settings(data_dir)
    (data_dir / "presets").mkdir(parents=True)
    (data_dir / "presets" / "ages.json").write_text(json.dumps({
        "name": "ages", "title": {"en": "Ages"}, "prompt": {"en": "How old?"},
        "schema": {"type": "object", "properties": {"age": {"type": "integer", "minimum": 0}}}}), encoding="utf-8")
    shell = open_shell(qtbot, data_dir, wait_loaded=False)
    try:
        choose(shell, "preset:ages")
        assert shell.window.answer_format.combo.currentData() == ""
        assert shell.chat.sampling().response_format is None
        assert shell.window.notice.isVisible() and "minimum" in shell.window.notice.label.text()
        choose(shell, "preset:receipt")  # a sound preset still works
        assert shell.chat.sampling().response_format == RECEIPT.response_format()
    finally:
        shell.shutdown()
