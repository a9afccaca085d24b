"""Images in (drop, paste, picker checks), sidebar, persistence, export, language, settings, first run."""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QAbstractButton, QApplication, QLineEdit

from tests.desktop.conftest import open_shell
from tests.desktop.test_desktop_chat import send


def drop_files(window, paths):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(QPoint(200, 200), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)  # Qt delivers a drop only after an accepted drag enter
    assert enter.isAccepted()
    event = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)
    return event


def test_drop_real_files_onto_the_window(qtbot, shell, images):
    drop_files(shell.window, images)
    qtbot.waitUntil(lambda: len(shell.composer.pending) == 2, timeout=10_000)
    chips = shell.window.composer.chips()
    assert [c.picture.accessibleName() for c in chips] == ["photo0.png", "photo1.png"]
    assert all(not c.picture.pixmap().isNull() for c in chips)
    chips[0].remove_button.click()
    assert [p.name for p in shell.composer.pending] == ["photo1.png"]


def test_paste_image_data_from_the_clipboard(qtbot, shell):
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(QColor("green"))
    QGuiApplication.clipboard().setImage(image)
    shell.window.composer.edit.setFocus()
    qtbot.keyClick(shell.window.composer.edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(shell.composer.pending) == 1, timeout=10_000)
    attached = shell.composer.pending[0].attachment  # stored (as PNG bytes) the moment it was pasted
    assert attached.path.read_bytes().startswith(b"\x89PNG") and attached.name.endswith(".png")
    fin = send(qtbot, shell, "what colour?")
    assert fin.error is None
    stored = shell.store.messages(shell.chat.conversation_id)[0]
    assert stored.attachments[0].width == 40 and stored.attachments[0].height == 30


def test_paste_copied_files(qtbot, shell, images):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(images[1]))])
    mime.setText(str(images[1]))
    QGuiApplication.clipboard().setMimeData(mime)
    try:
        shell.window.composer.edit.paste()
        qtbot.waitUntil(lambda: len(shell.composer.pending) == 1, timeout=10_000)
        assert shell.window.composer.edit.toPlainText() == ""
    finally:
        # The clipboard owns the QMimeData now; left there, Qt and Python both free it at exit.
        QGuiApplication.clipboard().clear()


def test_unusable_image_dropped_shows_inline_error_and_keeps_text(qtbot, shell, tmp_path, images):
    bad = tmp_path / "notes.png"
    bad.write_text("this is not an image")
    shell.window.composer.edit.setPlainText("my carefully typed question")
    drop_files(shell.window, [bad, images[0]])
    error = shell.window.composer.error_label
    qtbot.waitUntil(lambda: error.isVisible() and len(shell.composer.pending) == 1, timeout=10_000)
    assert "notes.png" in error.text()
    assert shell.window.composer.edit.toPlainText() == "my carefully typed question"
    assert shell.chat.conversation_id is None


def test_sidebar_new_rename_search_delete_undo(qtbot, shell):
    send(qtbot, shell, "receipt totals")
    first = shell.chat.conversation_id
    qtbot.keyClick(shell.window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert shell.chat.conversation_id is None and not shell.window.transcript.messages()
    send(qtbot, shell, "chart trends")
    second = shell.chat.conversation_id
    assert second != first and shell.window.sidebar.list.count() == 2
    shell.conversations.rename(first, "Groceries")
    titles = [shell.window.sidebar.list.item(i).text() for i in range(2)]
    assert "Groceries" in titles
    shell.window.sidebar.search.setText("chart")
    qtbot.waitUntil(lambda: shell.window.sidebar.list.count() == 1)
    assert shell.window.sidebar.list.item(0).text() == "chart trends"
    shell.window.sidebar.search.clear()
    qtbot.waitUntil(lambda: shell.window.sidebar.list.count() == 2)
    shell.conversations.delete(second)
    assert shell.window.sidebar.list.count() == 1 and shell.window.notice.isVisible()
    assert shell.chat.conversation_id is None
    shell.window.notice.action_button.click()  # Undo
    assert shell.window.sidebar.list.count() == 2 and shell.chat.conversation_id == second
    assert len(shell.window.transcript.messages()) == 2


def test_persistence_across_closing_and_reopening(qtbot, configured, images):
    shell = open_shell(qtbot, configured)
    send(qtbot, shell, "first question", images)
    send(qtbot, shell, "a follow-up")
    conv = shell.chat.conversation_id
    texts = [m.text for m in shell.store.messages(conv)]
    shell.window.close()  # the real close path: stops the engine, closes the store
    assert not shell.engine.thread.isRunning()
    again = open_shell(qtbot, configured)
    try:
        assert again.window.sidebar.list.count() == 1
        again.window.sidebar.list.setCurrentRow(0)
        assert again.chat.conversation_id == conv
        views = again.window.transcript.messages()
        assert [again.presenter.texts[m] for m in sorted(again.presenter.texts)] == texts
        assert len(views[0].thumbnail_buttons()) == 2
        assert "tokens/s" in views[1].stats.text()
        fin = send(qtbot, again, "and one more")  # follow-up on the reopened conversation
        assert fin.error is None and len(again.store.messages(conv)) == 6
    finally:
        again.shutdown()


def test_export_markdown_and_json(qtbot, shell, images, tmp_path):
    send(qtbot, shell, "export me", images)
    md = shell.export_markdown(tmp_path / "md")
    text = md.read_text(encoding="utf-8")
    assert "export me" in text
    assert len([p for p in md.parent.rglob("*.png")]) == 2
    js = shell.export_json(tmp_path / "c.json")
    data = json.loads(js.read_text(encoding="utf-8"))
    assert "export me" in json.dumps(data, ensure_ascii=False)


def test_language_switch_is_live(qtbot, shell):
    send(qtbot, shell, "hello")
    w = shell.window
    assert w.composer.send_button.text() == "Send"
    dialog = shell.settings_controller.open()
    dialog.language.setCurrentIndex(1)
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert w.composer.send_button.text() == "发送"
    assert w.file_menu.title() == "文件(&F)"
    assert w.transcript.messages()[0].who.text() == "你"
    assert "token/秒" in w.transcript.messages()[1].stats.text()
    assert shell.repository.load().language == "zh_CN"
    shell.set_language("en")
    assert w.composer.send_button.text() == "Send" and w.transcript.messages()[0].who.text() == "You"


def test_settings_round_trip_and_presets(qtbot, shell):
    d = shell.settings_controller.open()
    assert d.model.edit.text() == shell.settings.model_path
    d.temperature.setValue(0.35)
    d.top_p.setValue(0.8)
    d.max_tokens.setValue(77)
    d.system_prompt.setPlainText("Be brief.")
    d.gpu_mode.setCurrentIndex(2)
    d.threads.setValue(2)
    d.theme.setCurrentIndex(2)
    d.save_preset.click()
    assert "tiny-chat.gguf" in d.preset_note.text()
    with qtbot.waitSignal(shell.model.loaded, timeout=30_000):  # gpu/threads changed: reload
        d.buttons.button(d.buttons.StandardButton.Ok).click()
    saved = shell.repository.load()
    assert (saved.temperature, saved.top_p, saved.max_tokens, saved.system_prompt) == (0.35, 0.8, 77, "Be brief.")
    assert (saved.gpu_layers, saved.threads, saved.theme) == ("cpu", 2, "dark")
    assert saved.presets[saved.model_path]["max_tokens"] == 77
    assert QApplication.palette().window().color().lightness() < 100  # dark applied
    again = shell.settings_controller.open()
    assert again.temperature.value() == 0.35 and again.gpu_mode.currentIndex() == 2
    assert again.theme.currentIndex() == 2 and again.threads.value() == 2
    again.reject()
    assert send(qtbot, shell, "after reload").usage.completion_tokens == 77


def test_first_run_open_files_loads_in_background(qtbot, data_dir, test_models):
    shell = open_shell(qtbot, data_dir)
    try:
        w = shell.window
        assert w.stack.currentWidget() is w.first_run
        assert w.first_run.get_model_button.isEnabled() and w.first_run.open_files_button.isEnabled()
        w.first_run.get_model_button.click()
        box = w.findChild(QAbstractButton.__base__, "modelManager")
        assert box is not None and box.isVisible()
        box.close()
        with qtbot.waitSignal(shell.model.loaded, timeout=30_000):
            shell.model._picked([str(test_models.mmproj), str(test_models.model)])
            assert w.first_run.progress.isVisible()  # loading shows progress, the UI is not blocked
        assert w.stack.currentWidget() is w.chat_page
        assert shell.repository.load().mmproj_path == str(test_models.mmproj)
    finally:
        shell.shutdown()


def test_broken_model_shows_error_on_first_run_page(qtbot, data_dir, tmp_path):
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"not a gguf at all")
    from tests.desktop.conftest import write_settings

    write_settings(data_dir, model_path=str(bad))
    shell = open_shell(qtbot, data_dir, wait_loaded=False)
    try:
        qtbot.waitUntil(lambda: shell.model.state == "failed", timeout=30_000)
        assert shell.window.stack.currentWidget() is shell.window.first_run
        assert "broken.gguf" in shell.window.first_run.error.text()
    finally:
        shell.shutdown()


def test_every_control_has_an_accessible_name(qtbot, shell):
    send(qtbot, shell, "name everything")
    unnamed = [w for w in shell.window.findChildren(QAbstractButton) + shell.window.findChildren(QLineEdit)
               if w.isVisibleTo(shell.window) and not w.accessibleName() and not w.text()]
    assert unnamed == []
    focusable = [shell.window.composer.edit, shell.window.composer.send_button,
                 shell.window.sidebar.new_button, shell.window.sidebar.search, shell.window.sidebar.list]
    assert all(w.focusPolicy() & Qt.FocusPolicy.TabFocus for w in focusable)


def test_markdown_table_renders_and_remote_images_are_refused(qtbot, shell):
    from visiondesk.desktop.views.message_view import SafeBrowser

    view = shell.window.transcript.add_message("assistant")
    html = shell.presenter
    html.views[999] = view
    html.set_text(999, "| item | price |\n|---|---|\n| tea | 3 |\n\n![x](https://example.com/a.png)")
    doc = view.body.document()
    assert "tea" in doc.toPlainText() and "[x]" in doc.toPlainText()
    assert view.body.loadResource(2, QUrl("https://example.com/a.png")) is None
    assert SafeBrowser.allowed_roots and QPoint(0, 0) == QPoint()


def test_paths_that_are_no_image_file_are_refused_in_the_composer_without_hanging(qtbot, shell, tmp_path, images):
    """Issue 17 item 1 in the window: a FIFO, /dev/zero, a folder and a 3 GB sparse file each get a sentence."""
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    sparse = tmp_path / "huge.png"
    sparse.write_bytes(images[0].read_bytes())
    os.truncate(sparse, 3 * 10**9)
    folder = tmp_path / "photos.png"
    folder.mkdir()
    error = shell.window.composer.error_label
    for path, words in ((fifo, "named pipe"), (Path("/dev/zero"), "device"), (folder, "folder"),
                        (sparse, "are not accepted")):
        shell.composer.add_files([path])
        qtbot.waitUntil(lambda: shell.composer.checking == 0, timeout=10_000)  # no read hangs or runs away
        assert error.isVisible() and words in error.text(), error.text()
        assert shell.composer.pending == []
    shell.composer.add_files([images[0]])  # and the composer still takes a real picture
    qtbot.waitUntil(lambda: len(shell.composer.pending) == 1, timeout=10_000)


def test_what_was_typed_and_attached_stays_with_its_conversation(qtbot, shell, images):
    """Opening another conversation keeps the question being written as a draft; it comes back with its own."""
    send(qtbot, shell, "receipt totals")
    first = shell.chat.conversation_id
    shell.conversations.new_chat()
    send(qtbot, shell, "chart trends")
    second = shell.chat.conversation_id
    edit = shell.window.composer.edit

    shell.conversations.select(first)
    edit.setPlainText("and the tip? 小费呢？")
    shell.composer.add_files([images[0]])
    qtbot.waitUntil(lambda: len(shell.composer.pending) == 1, timeout=10_000)
    shell.composer.add_files([images[1]])  # still being checked when the conversation changes
    shell.conversations.select(second)
    assert edit.toPlainText() == "" and shell.composer.pending == [] and shell.composer.checking == 0
    edit.setPlainText("which month fell most?")

    shell.conversations.select(first)
    qtbot.waitUntil(lambda: len(shell.composer.pending) == 2, timeout=10_000)
    assert edit.toPlainText() == "and the tip? 小费呢？"
    assert [p.name for p in shell.composer.pending] == [images[0].name, images[1].name]
    shell.conversations.new_chat()
    edit.setPlainText("a new question")
    shell.conversations.select(second)
    assert edit.toPlainText() == "which month fell most?"
    shell.conversations.new_chat()
    assert edit.toPlainText() == "a new question"

    shell.conversations.select(first)  # sending a draft uses it up
    qtbot.waitUntil(lambda: len(shell.composer.pending) == 2, timeout=10_000)
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=30_000):
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert [len(m.attachments) for m in shell.store.messages(first)][-2:] == [2, 0]
    shell.conversations.select(second)
    shell.conversations.select(first)
    assert edit.toPlainText() == "" and shell.composer.pending == []
    shell.conversations.new_chat()
    edit.setPlainText("never mind")
    shell.conversations.new_chat()  # New chat while in a new chat: a fresh start, as asked
    assert edit.toPlainText() == ""
