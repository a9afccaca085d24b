"""Issue 18, defects 1 and 4: a model that fails to load never costs the user the working one or their history;
"Open GGUF files…" pairs the projector beside the model and says plainly when a model cannot see images."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.desktop.conftest import open_shell, write_settings
from tests.desktop.test_desktop_chat import send


def truncated_copy(model: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    bad = folder / "truncated-model.gguf"
    bad.write_bytes(model.read_bytes()[:4096])
    return bad


def test_failed_load_keeps_the_working_model_and_the_saved_choice(qtbot, configured, test_models, tmp_path):
    """Defect 1: Ctrl+O on a truncated GGUF while a model works; the chat, the model and the settings stay."""
    shell = open_shell(qtbot, configured)
    try:
        send(qtbot, shell, "hello before the bad file")
        conv = shell.chat.conversation_id
        bad = truncated_copy(test_models.model, tmp_path / "bad")
        shell.model._picked([str(bad)])
        qtbot.waitUntil(lambda: bool(shell.model.last_error), timeout=30_000)
        w = shell.window
        assert w.stack.currentWidget() is w.chat_page  # no welcome page over the conversation
        assert "truncated-model.gguf" in w.notice.label.text() and w.notice.isVisible()
        assert shell.model.state == "loaded" and shell.model.result is not None
        assert shell.settings.model_path == str(test_models.model)
        assert shell.repository.load().model_path == str(test_models.model)
        assert test_models.model.stem in w.header.switcher.currentText()
        answer = send(qtbot, shell, "still answering?")  # the working model still answers
        assert answer.error is None and shell.chat.conversation_id == conv
    finally:
        shell.shutdown()
    again = open_shell(qtbot, configured)  # a relaunch loads the working model, not the broken file
    try:
        assert again.model.result.model_name == test_models.model.stem
    finally:
        again.shutdown()


def test_conversations_stay_readable_and_searchable_without_a_model(qtbot, configured, test_models, tmp_path):
    """Defect 1: with no model that loads at all, the history opens and search finds it."""
    shell = open_shell(qtbot, configured)
    try:
        send(qtbot, shell, "zebra crossing question")
    finally:
        shell.shutdown()
    write_settings(configured, model_path=str(truncated_copy(test_models.model, tmp_path / "bad")))
    shell = open_shell(qtbot, configured, wait_loaded=False)
    try:
        qtbot.waitUntil(lambda: shell.model.state == "failed", timeout=30_000)
        w = shell.window
        assert w.first_run.error.isVisible() and "truncated-model.gguf" in w.first_run.error.text().replace(
            "\u200b", "")
        w.sidebar.search.setText("zebra")
        qtbot.waitUntil(lambda: w.sidebar.list.count() == 1, timeout=5_000)
        w.sidebar.list.setCurrentRow(0)
        assert w.stack.currentWidget() is w.chat_page
        texts = [m.body.toPlainText() for m in w.transcript.messages()]
        assert texts and "zebra crossing question" in texts[0]
        assert w.header.vision.text() == "No model loaded"
    finally:
        shell.shutdown()


def test_open_files_pairs_the_projector_beside_the_model(qtbot, data_dir, test_models, tmp_path):
    """Defect 4: picking only the model file finds its projector in the same folder, as import does."""
    folder = tmp_path / "pair"
    folder.mkdir()
    model = Path(shutil.copy(test_models.model, folder / "tiny-vision-Q8_0.gguf"))
    mmproj = Path(shutil.copy(test_models.mmproj, folder / "mmproj-tiny-vision-f16.gguf"))
    shell = open_shell(qtbot, data_dir)
    try:
        with qtbot.waitSignal(shell.model.loaded, timeout=30_000) as blocker:
            shell.model._picked([str(model)])
        assert blocker.args[0].vision is True
        assert shell.repository.load().mmproj_path == str(mmproj)
        assert shell.window.header.vision.text() == "Sees images"
        assert not shell.window.notice.isVisible()
    finally:
        shell.shutdown()


def test_a_text_only_model_says_it_cannot_see_images(qtbot, data_dir, test_models, tmp_path):
    """Defect 4: a model without a projector loads, and the window says plainly that it cannot see images."""
    folder = tmp_path / "alone"
    folder.mkdir()
    model = Path(shutil.copy(test_models.model, folder / "text-only.gguf"))
    shell = open_shell(qtbot, data_dir)
    try:
        with qtbot.waitSignal(shell.model.loaded, timeout=30_000):
            shell.model._picked([str(model)])
        w = shell.window
        assert w.notice.isVisible() and "cannot see images" in w.notice.label.text()
        assert w.header.vision.text() == "Text only"
        assert shell.repository.load().mmproj_path is None
    finally:
        shell.shutdown()


def test_header_shows_the_model_where_it_runs_and_the_context_meter(qtbot, shell, images):
    """Build 1: the header names the loaded model, whether it sees images, where it runs, and how full the
    open conversation's context is (an estimate before the first answer, the engine's count after)."""
    from visiondesk.desktop.controllers.header import estimate_tokens

    w, h = shell.window, shell.header
    assert shell.model.result.model_name in w.header.switcher.currentText()
    assert w.header.vision.text() == "Sees images"
    assert w.header.runs_on.text() in ("CPU", f"GPU ({shell.model.result.runs_on})")
    assert not w.header.context_meter.isVisibleTo(w)  # a new chat has nothing to measure yet
    fin = send(qtbot, shell, "how full is it?", images=images[:1])
    used = fin.usage.prompt_tokens + fin.usage.completion_tokens
    assert h.used == used and h.exact
    assert w.header.context_label.text() == f"{used:,} / {shell.model.result.n_ctx:,} tokens"
    assert w.header.context_meter.value() == int(used / shell.model.result.n_ctx * 1000)
    conv = shell.chat.conversation_id
    shell.conversations.new_chat()
    shell.conversations.select(conv)  # reopened: the stored count, not an estimate
    assert h.used == used and h.exact
    messages = shell.store.messages(conv)
    guess, exact = estimate_tokens(messages[:1], "")  # before the first answer: a guess, marked with ≈
    assert not exact and guess >= 256
    labels = [w.header.switcher.itemText(i) for i in range(w.header.switcher.count())]
    assert "Open GGUF files…" in labels and "Manage models…" in labels


def test_switcher_lists_installed_models_and_switches(qtbot, shell, test_models, tmp_path):
    """Build 1: the switcher offers the installed models (local today; remote ones join as another source)."""
    folder = tmp_path / "other"
    folder.mkdir()
    other = Path(shutil.copy(test_models.model, folder / "other-chat.gguf"))
    shell.model.models.import_local(other)  # text only: no projector beside it
    switcher = shell.window.header.switcher
    shell.header.refresh_choices()
    labels = [switcher.itemText(i) for i in range(switcher.count())]
    assert "other-chat" in labels
    index = labels.index("other-chat")
    assert shell.header.choices[index].kind == "local" and shell.header.choices[index].vision is False
    with qtbot.waitSignal(shell.model.loaded, timeout=30_000) as blocker:
        switcher.activated.emit(index)
    assert blocker.args[0].model_name == "other-chat" and blocker.args[0].vision is False
    assert shell.repository.load().model_path == str(other)
    assert shell.window.header.vision.text() == "Text only"
    assert switcher.currentText() == "other-chat"
