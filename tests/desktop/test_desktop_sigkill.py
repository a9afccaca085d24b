"""The app killed with SIGKILL while an answer streams: everything before survives, the cut answer is incomplete."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.desktop.conftest import open_shell, write_settings
from tests.desktop.test_desktop_chat import send


def test_sigkill_while_streaming_then_reopen(qtbot, data_dir, test_models, images):
    write_settings(data_dir, model_path=str(test_models.model), mmproj_path=str(test_models.mmproj))
    shell = open_shell(qtbot, data_dir)
    send(qtbot, shell, "first question", images)
    conv = shell.chat.conversation_id
    shell.shutdown()
    shell.window.hide()
    write_settings(data_dir, model_path=str(test_models.model), mmproj_path=str(test_models.mmproj),
                   max_tokens=100_000, context_size=100_000)
    # The driver opens a new chat; put its question into the same conversation by selecting it.
    driver = Path(__file__).with_name("app_driver.py")
    env = dict(os.environ, VISIONDESK_DATA_DIR=str(data_dir), QT_QPA_PLATFORM="offscreen",
               VISIONDESK_OPEN_CONVERSATION=str(conv))
    proc = subprocess.Popen([sys.executable, str(driver)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = ""
        while not line.startswith("SAVED"):
            line = proc.stdout.readline()
            assert line or proc.poll() is None, "the app exited before saving a partial answer"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    write_settings(data_dir, model_path=str(test_models.model), mmproj_path=str(test_models.mmproj))
    again = open_shell(qtbot, data_dir)
    try:
        lst = again.window.sidebar.list
        assert lst.count() == 1
        lst.setCurrentRow(0)
        msgs = again.store.messages(conv)
        assert [m.role for m in msgs] == ["user", "assistant", "user", "assistant"]
        assert msgs[0].text == "first question" and len(msgs[0].attachments) == 2
        assert msgs[1].complete and not msgs[3].complete and len(msgs[3].text) > 20
        views = again.window.transcript.messages()
        assert views[3].status.property("kind") == "incomplete"
        assert "Incomplete" in views[3].status.text()
        qtbot.waitUntil(lambda: views[3].status.isVisibleTo(again.window))  # layouts show new views later
        assert views[1].status.text() == ""
        assert len(views[0].thumbnail_buttons()) == 2
        send(qtbot, again, "still works after the crash")  # the conversation goes on
        assert len(again.store.messages(conv)) == 6
    finally:
        again.shutdown()
