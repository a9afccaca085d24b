"""Issue 24: the window keeps the open conversation's engine state on disk when it switches away or quits, so a
follow-up after reopening it (also after a restart) reads only its new turn; the settings page shows the disk
cache and empties it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from tests.desktop.conftest import open_shell
from tests.desktop.test_desktop_chat import send


def states(data_dir: Path) -> list[Path]:
    folder = data_dir / "cache" / "engine" / "states"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_a_conversation_reopened_after_a_restart_reads_only_its_new_turn(qtbot, configured: Path, images):
    shell = open_shell(qtbot, configured)
    first = send(qtbot, shell, "What is in this picture?", images[:1])
    ahead = shell.engine.worker._engine.prepared.encoded  # noqa: SLF001 - encoded while the question was typed
    assert first.usage.images_encoded + ahead == 1
    conversation = shell.chat.conversation_id
    shell.shutdown()  # quitting saves the open conversation's state
    assert len(states(configured)) == 1
    shell = open_shell(qtbot, configured)
    try:
        shell.conversations.select(conversation)
        follow = send(qtbot, shell, "And the colour?")
    finally:
        shell.shutdown()
    assert follow.error is None and follow.usage.images_encoded == 0
    # Its first turn (system prompt, image, question and answer) comes from disk: only the new turn is read.
    assert follow.usage.prompt_tokens_evaluated <= 64 < first.usage.prompt_tokens < follow.usage.prompt_tokens


def test_switching_away_keeps_a_conversation_for_its_return(qtbot, shell, images):
    first = send(qtbot, shell, "What is in this picture?", images[:1])
    conversation = shell.chat.conversation_id
    qtbot.keyClick(shell.window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # switch away: saved
    qtbot.waitUntil(lambda: len(states(shell.paths.root)) == 1, timeout=10_000)
    other = send(qtbot, shell, "Something else entirely, at some length, please.")  # the engine holds this one now
    assert other.error is None
    shell.conversations.select(conversation)  # switch back: the other is saved, this one restored
    follow = send(qtbot, shell, "And the colour?")
    assert follow.usage.images_encoded == 0
    assert follow.usage.prompt_tokens_evaluated <= 64 < first.usage.prompt_tokens
    assert len(states(shell.paths.root)) == 2


def test_the_settings_page_shows_the_disk_cache_and_clear_empties_it(qtbot, shell, images):
    send(qtbot, shell, "What is in this picture?", images[:1])
    qtbot.keyClick(shell.window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(states(shell.paths.root)) == 1, timeout=10_000)
    cache = shell.engine_cache()
    used = cache.usage()
    # The image's embedding, the conversation's state and the model's measured thread choice (issue 24, loading).
    assert used > 0 and sorted(p.parent.name for p in cache.files()) == ["embeddings", "states", "threads"]
    d = shell.settings_controller.open()
    qtbot.waitExposed(d)
    assert d.disk_cache_mb.value() == 4096 and d.disk_cache.isVisibleTo(d)
    assert d.disk_cache_used.text() == f"{used / 1024:,.0f} KB used"
    qtbot.mouseClick(d.clear_disk_cache, Qt.MouseButton.LeftButton)
    assert cache.files() == [] and d.disk_cache_used.text() == "0 KB used"
    d.disk_cache_mb.setValue(1)
    d.accept()
    assert shell.settings.engine_cache_mb == 1 and shell.repository.load().engine_cache_mb == 1
    assert shell.engine_cache().max_bytes == 1024**2  # what the engine is given from its next load on


def test_paging_through_conversations_restores_only_the_last_one(qtbot, shell, images):
    """Switches queue up on the engine thread; a restore that a later switch makes moot is not read at all."""
    from visiondesk.desktop.worker import conversation_key

    send(qtbot, shell, "What is in this picture?", images[:1])
    first = shell.chat.conversation_id
    qtbot.keyClick(shell.window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(states(shell.paths.root)) == 1, timeout=10_000)
    send(qtbot, shell, "Something else")  # the engine holds this second conversation now
    second = shell.chat.conversation_id
    log = shell.paths.logs / "engine.log"
    restored = log.read_text(encoding="utf-8").count("restored a conversation state")
    worker = shell.engine.worker  # idle now: its slot is called here as the engine thread would, in order
    worker.last_switch = 7  # the sidebar went on: this switch (6) is no longer the last one
    worker.switch_conversation(conversation_key(second), conversation_key(first), 6)
    assert len(states(shell.paths.root)) == 2  # what was left is saved all the same
    assert log.read_text(encoding="utf-8").count("restored a conversation state") == restored
    worker.switch_conversation(None, conversation_key(first), 7)
    assert log.read_text(encoding="utf-8").count("restored a conversation state") == restored + 1
