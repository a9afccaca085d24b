"""Issue 18, defects 3, 6, 7 and 8: pastes that are not pictures are named, answers survive a switch of
conversation, images never strand a conversation on a text-only model, and a full context or a token limit
never ends a conversation silently."""

from __future__ import annotations

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
