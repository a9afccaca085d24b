"""A deleted conversation's saved engine state leaves the disk cache when the conversation is deleted, not when the
cache next needs room; the other conversations' states stay."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from visiondesk.engine import Message

from tests.desktop.test_desktop_chat import send
from tests.desktop.test_desktop_restart_state import states


def state_file(shell, conversation_id: int) -> Path:
    from visiondesk.desktop.engine_requests import conversation_key

    key = conversation_key(conversation_id)
    assert key is not None
    path: Path = shell.engine_cache().state_path(key)
    return path


def engine_caught_up(qtbot, shell) -> None:
    """Wait until the engine thread ran everything queued before (a plan request is answered after it, in turn)."""
    with qtbot.waitSignal(shell.engine.worker.planned, timeout=30_000):
        shell.engine.plan([Message.user("hello")])


def test_deleting_conversations_deletes_their_saved_states_only(qtbot, shell, images):
    send(qtbot, shell, "What is in this picture?", images[:1])
    first = shell.chat.conversation_id
    qtbot.keyClick(shell.window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # switch away: saved
    send(qtbot, shell, "Something else entirely, at some length, please.")
    second = shell.chat.conversation_id
    qtbot.keyClick(shell.window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    send(qtbot, shell, "A third one.")
    third = shell.chat.conversation_id
    shell.conversations.select(first)  # the third is saved, the first restored
    engine_caught_up(qtbot, shell)
    assert all(state_file(shell, c).is_file() for c in (first, second, third))

    shell.conversations.delete(second)  # not the open one: its state goes at once
    assert not state_file(shell, second).exists()
    assert state_file(shell, first).is_file() and state_file(shell, third).is_file()

    # The open one: deleting it switches away from it, which saves its state on the engine thread (after the
    # delete returned); that save is deleted too, in turn.
    shell.conversations.delete(first)
    assert shell.chat.conversation_id is None
    engine_caught_up(qtbot, shell)
    assert not state_file(shell, first).exists()
    assert states(shell.paths.root) == [state_file(shell, third)]

    qtbot.mouseClick(shell.window.notice.action_button, Qt.MouseButton.LeftButton)  # Undo brings the text back
    assert shell.chat.conversation_id == first
    follow = send(qtbot, shell, "And the colour?")  # its state was a cache: the follow-up is answered all the same
    assert follow.error is None and follow.usage.completion_tokens > 0
