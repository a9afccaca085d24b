"""Sending, streaming, stopping at each stage, regenerate, edit, crash recovery — with the real engine."""

from __future__ import annotations

import os
import signal

import pytest
from PySide6.QtCore import Qt
from visiondesk.engine import Stage, StopReason


def send(qtbot, shell, text="Describe it", images=(), timeout=30_000):
    if images:
        before = len(shell.composer.pending)
        shell.composer.add_files(list(images))
        qtbot.waitUntil(lambda: len(shell.composer.pending) == before + len(images), timeout=10_000)
    shell.window.composer.edit.setPlainText(text)
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=timeout) as blocker:
        qtbot.keyClick(shell.window.composer.edit, Qt.Key.Key_Return)
    return blocker.args[0]


def last_view(shell):
    return shell.window.transcript.messages()[-1]


def test_enter_sends_and_answer_streams_in_batches(qtbot, shell, images):
    shell.settings.max_tokens = 300
    renders = []
    original = shell.presenter.set_text
    shell.presenter.set_text = lambda mid, text: (renders.append((mid, text)), original(mid, text))
    seen_partial = []
    shell.engine.worker.text.connect(lambda *_: seen_partial.append(shell.chat.busy))
    fin = send(qtbot, shell, "What is in these images?", images)
    assert fin.stop_reason == StopReason.LENGTH and fin.error is None
    assert any(seen_partial), "text arrived while the answer was still running"
    assert fin.usage.completion_tokens == 300
    answer_id = shell.store.messages(shell.chat.conversation_id)[-1].id
    streamed = [t for mid, t in renders[:-1] if t and mid == answer_id]
    assert streamed and len(streamed) < fin.usage.completion_tokens  # batched, not per token
    assert streamed == sorted(streamed, key=len)  # grows monotonically
    view = last_view(shell)
    assert view.body.toPlainText().strip()
    assert "tokens/s" in view.stats.text() and "First token" in view.stats.text()
    msgs = shell.store.messages(shell.chat.conversation_id)
    assert msgs[-1].complete and msgs[-1].stats["completion_tokens"] == 300
    user_view = shell.window.transcript.messages()[0]
    assert len(user_view.thumbnail_buttons()) == 2
    qtbot.waitUntil(lambda: all(not b.icon().isNull() for b in user_view.thumbnail_buttons()))


def test_shift_enter_adds_a_line_and_does_not_send(qtbot, shell):
    edit = shell.window.composer.edit
    edit.setPlainText("line one")
    edit.moveCursor(edit.textCursor().MoveOperation.End)
    qtbot.keyClick(edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(edit, "line two")
    assert edit.toPlainText() == "line one\nline two"
    assert shell.chat.conversation_id is None and not shell.chat.busy


@pytest.mark.parametrize("stage", [Stage.ENCODING_IMAGE, Stage.READING_PROMPT, Stage.GENERATING])
def test_stop_at_each_stage(qtbot, shell, images, stage):
    shell.settings.max_tokens = 2000
    seen = []

    def on_stage(rid, name, index, total):  # runs on the engine thread, at the stage itself
        seen.append(name)
        if name == stage:
            shell.engine.cancel(rid)

    shell.engine.worker.stage.connect(on_stage, Qt.ConnectionType.DirectConnection)
    shell.composer.prepare_requested.disconnect()  # Send before any encode ahead: the answer encodes the images
    fin = send(qtbot, shell, "Stop me", images)
    shell.engine.worker.stage.disconnect(on_stage)
    assert str(stage) in seen
    assert fin.stop_reason == StopReason.CANCELLED
    view = last_view(shell)
    assert view.status.text() == "Stopped." and view.status.isVisible()
    assert not shell.chat.busy and shell.window.composer.send_button.isVisible()
    stored = shell.store.messages(shell.chat.conversation_id)[-1]
    assert stored.complete and stored.stats["stop_reason"] == "cancelled"
    assert fin.usage.completion_tokens < 2000
    shell.settings.max_tokens = 8
    assert send(qtbot, shell, "and again").stop_reason == StopReason.LENGTH  # still usable


def test_escape_stops_while_writing(qtbot, shell):
    shell.settings.max_tokens = 4000
    edit = shell.window.composer.edit
    edit.setPlainText("Write a lot")
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=30_000) as blocker:
        qtbot.keyClick(edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: bool(shell.chat.active is not None and shell.chat.active.text), timeout=20_000)
        assert shell.window.composer.stop_button.isVisible()
        qtbot.keyClick(edit, Qt.Key.Key_Escape)
    assert blocker.args[0].stop_reason == StopReason.CANCELLED
    assert blocker.args[0].usage.completion_tokens < 4000


def test_stop_while_the_model_reloads_after_a_crash(qtbot, shell):
    os.kill(shell.engine.worker._engine.pid, signal.SIGKILL)
    seen = []

    def on_stage(rid, name, index, total):
        seen.append(name)
        if name == Stage.LOADING:
            shell.engine.cancel(rid)

    shell.engine.worker.stage.connect(on_stage, Qt.ConnectionType.DirectConnection)
    fin = send(qtbot, shell, "after the crash")
    if fin.stop_reason == StopReason.ERROR:  # the crash was noticed by this request: shown, then retried
        assert "model process" in last_view(shell).status.text()
        fin = send(qtbot, shell, "again")
    shell.engine.worker.stage.disconnect(on_stage)
    assert Stage.LOADING in seen
    assert fin.stop_reason in (StopReason.CANCELLED, StopReason.LENGTH)
    assert send(qtbot, shell, "works again").stop_reason == StopReason.LENGTH


def test_engine_crash_mid_answer_is_shown_and_next_message_restarts(qtbot, shell):
    shell.settings.max_tokens = 4000
    edit = shell.window.composer.edit
    edit.setPlainText("crash please")
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=30_000) as blocker:
        qtbot.keyClick(edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: bool(shell.chat.active is not None and shell.chat.active.text), timeout=20_000)
        os.kill(shell.engine.worker._engine.pid, signal.SIGKILL)
    fin = blocker.args[0]
    assert fin.stop_reason == StopReason.ERROR
    view = last_view(shell)
    assert view.status.property("kind") == "error"
    assert "model process" in view.status.text() and "restarts" in view.status.text()
    stages = []
    shell.engine.worker.stage.connect(lambda rid, name, i, n: stages.append(name))
    shell.settings.max_tokens = 8
    assert send(qtbot, shell, "are you back?").stop_reason == StopReason.LENGTH
    assert Stage.LOADING in stages
    history = shell.chat.history(shell.chat.conversation_id)
    assert [m.role for m in history][-3:] == ["user", "user", "assistant"]  # the failed answer is not sent back


def test_regenerate_replaces_the_last_answer(qtbot, shell):
    send(qtbot, shell, "first")
    first_view = last_view(shell)
    button = first_view.regenerate_button
    assert button.isVisible()
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=30_000):
        button.click()
    msgs = shell.store.messages(shell.chat.conversation_id)
    assert [m.role for m in msgs] == ["user", "assistant"]
    assert msgs[-1].complete and last_view(shell) is not first_view
    assert len(shell.window.transcript.messages()) == 2


def test_edit_and_resend_the_last_question(qtbot, shell, images):
    send(qtbot, shell, "original question", images[:1])
    send(qtbot, shell, "second question")
    user_views = [v for v in shell.window.transcript.messages() if v.role == "user"]
    assert user_views[0].edit_button.isVisible() and user_views[1].edit_button.isVisible()  # any question (build 3)
    user_views[1].edit_button.click()
    edit = shell.window.composer.edit
    assert edit.toPlainText() == "second question"
    assert shell.window.composer.editing_bar.isVisible()
    edit.setPlainText("edited question")
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=30_000):
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    msgs = shell.store.messages(shell.chat.conversation_id)
    assert [(m.role, m.text) for m in msgs if m.role == "user"] == [
        ("user", "original question"), ("user", "edited question")]
    assert len(msgs) == 4 and len(msgs[0].attachments) == 1
    assert not shell.window.composer.editing_bar.isVisible()


def test_copy_puts_the_answer_on_the_clipboard(qtbot, shell):
    from PySide6.QtGui import QGuiApplication

    send(qtbot, shell, "copy me")
    last_view(shell).copy_button.click()
    assert QGuiApplication.clipboard().text() == shell.store.messages(shell.chat.conversation_id)[-1].text
