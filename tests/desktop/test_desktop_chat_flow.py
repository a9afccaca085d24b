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


def long_conversation(shell, exchanges: int = 6) -> int:
    """A stored conversation far longer than the 2,048-token context (as one grown over weeks would be)."""
    conv = shell.store.create_conversation(model=shell.settings.model_path).id
    for i in range(exchanges):
        shell.store.add_message(conv, "user", f"question {i}: " + "tell me about the harbour and its boats " * 40)
        shell.store.add_message(conv, "assistant", f"answer {i}: " + "the harbour holds many small boats " * 40)
    return conv


def test_a_full_context_drops_the_oldest_turns_and_marks_the_cut(qtbot, shell):
    """Defect 6: the conversation outgrew the context; the answer comes, the oldest turns left out, a line marks
    the cut (kept when reopened), and the next message starts from the cut without failing first."""
    from tests.desktop.test_desktop_chat import send

    assert shell.settings.drop_oldest_turns  # on by default
    conv = long_conversation(shell)
    shell.conversations.select(conv)
    requests = []  # each request the window makes of the engine thread (a spy: the real call goes on)
    real_chat = shell.engine.chat
    shell.engine.chat = lambda messages, sampling: (requests.append(len(messages)), real_chat(messages, sampling))[1]
    fin = send(qtbot, shell, "and the newest question?")
    assert fin.error is None, fin.error
    assert len(requests) > 1 and requests == sorted(requests, reverse=True)  # overflowed, then shorter each time
    stored = shell.store.messages(conv)
    cut = stored[-1].stats["context_from"]
    first_user = stored[0].id
    assert cut > first_user and shell.store.get_message(cut).role == "user"
    history = shell.chat.history(conv)
    assert history[0].role == "system" and history[-2].text == "and the newest question?"
    assert not any(m.text.startswith("question 0:") for m in history)
    marked = [v for v in shell.window.transcript.messages() if v.cut_marker.isVisible()]
    assert len(marked) == 1 and "no longer reads" in marked[0].cut_marker.text()
    assert shell.presenter.views[cut] is marked[0]
    requests.clear()
    assert send(qtbot, shell, "one more").error is None
    assert len(requests) == 1  # started from the cut: no failed attempt first
    shell.conversations.select(None)
    shell.conversations.select(conv)
    qtbot.waitUntil(lambda: cut in shell.presenter.views)
    assert shell.presenter.views[cut].cut_marker.isVisible()


def test_with_dropping_off_a_full_context_still_says_why(qtbot, shell):
    """Defect 6, the setting: off, the overflow is reported on the answer as before (nothing is left out)."""
    from tests.desktop.test_desktop_chat import last_view, send

    shell.settings.drop_oldest_turns = False
    shell.conversations.select(long_conversation(shell))
    fin = send(qtbot, shell, "and now?")
    assert type(fin.error).__name__ == "ContextOverflow"
    assert last_view(shell).status.property("kind") == "error"
    assert not any(v.cut_marker.isVisible() for v in shell.window.transcript.messages())


def test_an_answer_cut_by_the_token_limit_says_so_and_continues(qtbot, shell):
    """Defect 6, the token limit: the answer says it was cut, and Continue makes the same answer go on."""
    from tests.desktop.test_desktop_chat import last_view, send

    shell.settings.max_tokens = 8
    fin = send(qtbot, shell, "a long story please")
    assert fin.stop_reason == "length"
    view = last_view(shell)
    assert view.stats.text().endswith("8 tokens · stopped at the length limit") and view.stats.isVisible()
    assert view.continue_button.isVisible() and view.continue_button.text() == "Continue"
    answer = shell.store.messages(shell.chat.conversation_id)[-1]
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=30_000):
        view.continue_button.click()
    messages = shell.store.messages(shell.chat.conversation_id)
    assert [m.id for m in messages] == [messages[0].id, answer.id]  # the same answer, no new turn
    longer = messages[-1]
    assert longer.text.startswith(answer.text) and len(longer.text) > len(answer.text)
    assert longer.complete and longer.stats["completion_tokens"] == 16
    assert last_view(shell).body.toPlainText().strip() == longer.text.strip()
    assert "16 tokens · stopped at the length limit" in last_view(shell).stats.text()


def test_dropping_the_oldest_turns_is_a_setting(qtbot, shell):
    """Defect 6, the setting: on by default, switched off in Settings → Answers, saved."""
    dialog = shell.settings_controller.open()
    assert dialog.drop_oldest.isChecked() and dialog.drop_oldest.text() == "Drop the oldest turns"
    dialog.drop_oldest.setChecked(False)
    dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
    assert shell.settings.drop_oldest_turns is False and shell.repository.load().drop_oldest_turns is False


def test_regenerate_any_answer_keeps_earlier_versions_to_flip_between(qtbot, shell, tmp_path):
    """Build 3: Regenerate on an earlier answer; the old text stays as version 1 of 2, the arrows flip (stored, and
    so after reopening), the turns after it go, and the export carries every version."""
    import json

    from tests.desktop.test_desktop_chat import send

    shell.settings.temperature = 0.9  # a different answer each time, so the versions can be told apart
    send(qtbot, shell, "first question")
    send(qtbot, shell, "second question")
    conv = shell.chat.conversation_id
    first_answer = shell.store.messages(conv)[1]
    views = shell.window.transcript.messages()
    assert views[1].regenerate_button.isVisible()  # not only on the last answer
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=30_000):
        views[1].regenerate_button.click()
    msgs = shell.store.messages(conv)
    assert [m.id for m in msgs] == [msgs[0].id, first_answer.id]  # same answer id; the later turn is gone
    assert shell.store.versions(conv) == {first_answer.id: (1, [0, 1])}
    view = shell.presenter.views[first_answer.id]
    assert view.version_label.isVisible() and view.version_label.text() == "2/2"
    assert view.older_button.isEnabled() and not view.newer_button.isEnabled()
    new_text = msgs[1].text
    view.older_button.click()
    assert shell.store.get_message(first_answer.id).text == first_answer.text
    assert shell.presenter.texts[first_answer.id] == first_answer.text and view.version_label.text() == "1/2"
    shell.conversations.select(None)
    shell.conversations.select(conv)
    view = shell.window.transcript.messages()[1]
    assert view.version_label.text() == "1/2"
    view.newer_button.click()
    assert shell.presenter.texts[first_answer.id] == new_text
    data = json.loads(shell.export_json(tmp_path / "c.json").read_text(encoding="utf-8"))
    answer = data["messages"][1]
    assert answer["text"] == new_text and [v["text"] for v in answer["versions"]] == [first_answer.text]
    md = shell.export_markdown(tmp_path / "md").read_text(encoding="utf-8")
    assert first_answer.text.strip() in md and new_text.strip() in md


def test_edit_and_delete_any_question(qtbot, shell):
    """Build 3: Edit on an earlier question replaces it and what followed; Delete removes one turn only."""
    from tests.desktop.test_desktop_chat import send

    for q in ("one", "two", "three"):
        send(qtbot, shell, q)
    conv = shell.chat.conversation_id
    users = [v for v in shell.window.transcript.messages() if v.role == "user"]
    assert all(v.edit_button.isVisible() and v.delete_button.isVisible() for v in users)
    users[1].delete_button.click()
    assert [m.text for m in shell.store.messages(conv) if m.role == "user"] == ["one", "three"]
    assert len(shell.store.messages(conv)) == 4 and len(shell.window.transcript.messages()) == 4
    users = [v for v in shell.window.transcript.messages() if v.role == "user"]
    users[0].edit_button.click()
    edit = shell.window.composer.edit
    assert edit.toPlainText() == "one"
    edit.setPlainText("one, edited")
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=30_000):
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    msgs = shell.store.messages(conv)
    assert [(m.role, m.text) for m in msgs if m.role == "user"] == [("user", "one, edited")] and len(msgs) == 2


def test_editing_a_question_keeps_its_images(qtbot, shell, images):
    """Edit puts the question's images back into the composer with its text; sending the edit keeps them."""
    from tests.desktop.test_desktop_chat import send

    send(qtbot, shell, "what is in these?", images)
    conv = shell.chat.conversation_id
    sent = [a.sha256 for a in shell.store.messages(conv)[0].attachments]
    [question] = [v for v in shell.window.transcript.messages() if v.role == "user"]
    question.edit_button.click()
    qtbot.waitUntil(lambda: len(shell.composer.pending) == 2, timeout=10_000)
    assert [p.attachment.sha256 for p in shell.composer.pending] == sent
    shell.window.composer.edit.setPlainText("which is bluer?")
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=30_000):
        qtbot.keyClick(shell.window.composer.edit, Qt.Key.Key_Return)
    [edited] = [m for m in shell.store.messages(conv) if m.role == "user"]
    assert edited.text == "which is bluer?" and [a.sha256 for a in edited.attachments] == sent
    assert all(a.path.exists() for a in edited.attachments)
