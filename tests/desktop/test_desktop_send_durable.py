"""A message is durable the moment Send returns: the app killed 0, 5 or 10 ms later loses nothing.

Issue 17 item 2: killed right after Send, the conversation row existed but the message did not (the
message was saved off the UI thread), and with an image still being checked nothing was stored.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from visiondesk.core.paths import DataPaths
from visiondesk.core.store import ConversationStore

from tests.desktop.conftest import write_settings

DRIVER = Path(__file__).with_name("app_driver.py")


@pytest.mark.parametrize("with_image", [False, True], ids=["text", "image still being checked"])
@pytest.mark.parametrize("delay_ms", [0, 5, 10])
def test_killed_right_after_send_keeps_the_message(tmp_path, test_models, images, delay_ms, with_image):
    data_dir = tmp_path / "data"
    write_settings(data_dir, model_path=str(test_models.model), mmproj_path=str(test_models.mmproj))
    env = dict(os.environ, VISIONDESK_DATA_DIR=str(data_dir), QT_QPA_PLATFORM="offscreen",
               VISIONDESK_DRIVER_SEND_ONLY="1")
    if with_image:
        env["VISIONDESK_DRIVER_IMAGE"] = str(images[0])
    proc = subprocess.Popen([sys.executable, str(DRIVER)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = ""
        while not line.startswith("SENT"):
            line = proc.stdout.readline()
            assert line or proc.poll() is None, "the app exited before Send"
        time.sleep(delay_ms / 1000)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    paths = DataPaths.at(data_dir)
    store = ConversationStore(paths.conversations_db, paths.attachments)
    try:
        [conv] = store.list_conversations()
        user = [m for m in store.messages(conv.id) if m.role == "user"]
        assert [m.text for m in user] == ["second question, answered forever"]
        if with_image:
            [attached] = user[0].attachments
            assert attached.path.read_bytes() == images[0].read_bytes()
        else:
            assert user[0].attachments == ()
    finally:
        store.close()
