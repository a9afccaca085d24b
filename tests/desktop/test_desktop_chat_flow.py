"""Issue 18, defects 3, 6, 7 and 8: pastes that are not pictures are named, answers survive a switch of
conversation, images never strand a conversation on a text-only model, and a full context or a token limit
never ends a conversation silently."""

from __future__ import annotations

import time

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QGuiApplication


def test_garbage_pasted_as_an_image_is_named_not_ignored(qtbot, shell):
    """Defect 8: bytes that claim to be a PNG but are not one: the composer says so, the typed text stays."""
    edit = shell.window.composer.edit
    edit.setPlainText("my question")
    mime = QMimeData()
    mime.setData("image/png", b"\x89PNG but then nothing of a picture" * 4)
    QGuiApplication.clipboard().setMimeData(mime)
    try:
        edit.setFocus()
        qtbot.keyClick(edit, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        error = shell.window.composer.error_label
        qtbot.waitUntil(error.isVisible, timeout=5_000)
        assert "could not be read" in error.text() and "image/png" in error.text()
        assert not shell.composer.pending and shell.composer.checking == 0
        assert edit.toPlainText() == "my question"
    finally:
        QGuiApplication.clipboard().clear()


def test_switching_conversations_mid_answer_keeps_it_streaming(qtbot, shell):
    """Defect 7: the answer goes on in its own conversation while another is open, and is there on return."""
    from tests.desktop.test_desktop_chat import send

    send(qtbot, shell, "an earlier chat")
    other = shell.chat.conversation_id
    qtbot.keyClick(shell.window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    shell.settings.max_tokens = 1500
    slow = [True]  # the tiny model writes fast: the engine thread waits a little per piece until we have looked

    def hold(*_args) -> None:
        if slow[0]:
            time.sleep(0.25)

    shell.engine.worker.text.connect(hold, Qt.ConnectionType.DirectConnection)
    edit = shell.window.composer.edit
    edit.setPlainText("write a long answer")
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=60_000) as blocker:
        qtbot.keyClick(edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: bool(shell.chat.active is not None and shell.chat.active.text), timeout=20_000)
        streaming = shell.chat.conversation_id
        answer_id = shell.chat.active.message_id
        shell.conversations.select(other)
        assert shell.chat.conversation_id == other and shell.chat.active is not None  # not stopped
        assert len(shell.window.transcript.messages()) == 2  # the other chat's own messages only
        seen = len(shell.chat.active.text)
        qtbot.waitUntil(lambda: len(shell.store.get_message(answer_id).text) > seen, timeout=20_000)  # saved
        assert shell.chat.active is not None
        shell.conversations.select(streaming)
        view = shell.window.transcript.messages()[-1]
        assert view.body.toPlainText().strip() and view.status.text() == "Writing…"
        slow[0] = False
    shell.engine.worker.text.disconnect(hold)
    assert blocker.args[0].stop_reason == "length"
    stored = shell.store.get_message(answer_id)
    assert stored.complete and stored.text == shell.presenter.texts[answer_id]
    assert len(stored.text) > seen


def test_a_conversation_with_images_goes_on_on_a_text_only_model(qtbot, shell, test_models, images, tmp_path):
    """Defect 3: after a switch to a model without a projector, the images are left out with a note, every
    later message is answered, and the note stays with the answers when the conversation is opened again."""
    import shutil

    from tests.desktop.test_desktop_chat import last_view, send

    assert send(qtbot, shell, "what is in these?", images).error is None
    conv = shell.chat.conversation_id
    folder = tmp_path / "alone"
    folder.mkdir()
    text_only = shutil.copy(test_models.model, folder / "text-only.gguf")
    with qtbot.waitSignal(shell.model.loaded, timeout=30_000):
        shell.model._picked([str(text_only)])
    assert shell.model.result.vision is False and shell.chat.conversation_id == conv
    for question in ("and now?", "a text-only follow-up"):
        fin = send(qtbot, shell, question)
        assert fin.error is None, fin.error
        status = last_view(shell).status
        assert status.isVisible() and "cannot see images" in status.text() and "2 image(s)" in status.text()
    assert all(not m.images for m in shell.chat.history(conv))
    answers = [m for m in shell.store.messages(conv) if m.role == "assistant"]
    assert [a.stats.get("images_left_out") for a in answers] == [None, 2, 2]
    shell.conversations.select(None)
    shell.conversations.select(conv)
    assert "cannot see images" in last_view(shell).status.text()
