"""Runs the real app offscreen, sends one long question, prints SAVED once the partial answer is on disk.

Used by test_desktop_sigkill.py, which kills this process with SIGKILL at that point. With
``VISIONDESK_DRIVER_SEND_ONLY=1`` it prints ``SENT`` the moment Send returns instead (the kill comes
then), after attaching ``VISIONDESK_DRIVER_IMAGE`` if set, whose check is then still running.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402
from visiondesk.desktop.app import make_application  # noqa: E402
from visiondesk.desktop.shell import AppShell  # noqa: E402


def main() -> int:
    make_application([])
    shell = AppShell()
    shell.window.show()

    def go() -> None:
        conv = os.environ.get("VISIONDESK_OPEN_CONVERSATION")
        if conv:
            shell.conversations.select(int(conv))
        image = os.environ.get("VISIONDESK_DRIVER_IMAGE")
        if image:
            shell.composer.add_files([Path(image)])
        shell.window.composer.edit.setPlainText("second question, answered forever")
        shell.composer.submit()
        if os.environ.get("VISIONDESK_DRIVER_SEND_ONLY"):
            print("SENT", flush=True)

    def check() -> None:
        a = shell.chat.active
        if a is not None and len(shell.store.get_message(a.message_id).text) > 20:
            print("SAVED", a.message_id, flush=True)

    shell.model.loaded.connect(lambda _r: go())
    from PySide6.QtCore import QTimer

    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(100)
    return int(QApplication.exec())


if __name__ == "__main__":
    sys.exit(main())
