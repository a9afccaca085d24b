from __future__ import annotations

from visiondesk.core.store_models import StoredMessage


def test_send_streams_and_saves(qtbot, shell, images):
    shell.composer.add_files(images)
    qtbot.waitUntil(lambda: len(shell.composer.pending) == 2, timeout=10_000)
    shell.window.composer.edit.setPlainText("What is in these images?")
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=30_000) as blocker:
        shell.composer.submit()
    fin = blocker.args[0]
    assert fin.error is None, fin.error
    msgs: list[StoredMessage] = shell.store.messages(shell.chat.conversation_id)
    assert [m.role for m in msgs] == ["user", "assistant"]
    assert len(msgs[0].attachments) == 2
    assert msgs[1].complete and msgs[1].text
