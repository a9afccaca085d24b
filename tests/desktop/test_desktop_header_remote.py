"""The header's model switcher with a server: its models listed beside the local ones, marked as remote with the
host; choosing one switches the conversation to it, and the header says where it runs; choosing the local model
brings it back.

The server is the real llama-server of tests/remote (loopback), registered under this machine's host name so that
it counts as remote (see test_desktop_remote.py).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from visiondesk.core.model_binding import ServerModel
from visiondesk.engine.llama import LoadResult

from tests.desktop.conftest import open_shell
from tests.desktop.test_desktop_remote import (  # noqa: F401
    MODEL,
    _no_system_credential_store,
    answer_next_question,
    remote_url,
    type_and_send,
)
from tests.remote.conftest import LlamaServer, llama_server, llama_server_binary  # noqa: F401


def labels(switcher) -> list[str]:
    return [switcher.itemText(i) for i in range(switcher.count())]


def pick(qtbot, switcher, label: str) -> None:
    """Open the switcher's list and click ``label`` in it, as a user does."""
    switcher.showPopup()
    view = switcher.view()
    qtbot.waitUntil(view.isVisible, timeout=5_000)
    index = labels(switcher).index(label)
    rect = view.visualRect(view.model().index(index, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_the_switcher_lists_server_models_as_remote_and_switches_the_conversation_to_one(
        qtbot, configured: Path, llama_server: LlamaServer) -> None:  # noqa: F811
    url, host = remote_url(llama_server)
    shell = open_shell(qtbot, configured)
    try:
        entry = shell.servers.add(url, name="lab")
        header, switcher = shell.window.header, shell.window.header.switcher
        local = switcher.currentText()
        assert local and shell.header.choices[switcher.currentIndex()].kind == "local"

        # Opening the switcher asks the server for its models; they join the list, marked remote with the host.
        remote_label = f"{MODEL} — remote: {host}"
        switcher.showPopup()
        qtbot.waitUntil(lambda: remote_label in labels(switcher), timeout=30_000)
        switcher.hidePopup()
        chosen = shell.header.choices[labels(switcher).index(remote_label)]
        assert chosen.kind == "remote" and chosen.host == host and chosen.vision is True
        assert chosen.key == ServerModel(entry.id, MODEL).column()
        tooltip = switcher.itemData(labels(switcher).index(remote_label), Qt.ItemDataRole.ToolTipRole)
        assert "lab" in tooltip and host in tooltip and "leave this computer" in tooltip
        assert local in labels(switcher) and switcher.currentText() == local, "the local model is still in use"
        assert header.runs_on.text() in ("CPU", f"GPU ({shell.model.result.runs_on})")

        # Choosing it connects to the server; the header shows the remote model and its host.
        with qtbot.waitSignal(shell.model.loaded, timeout=30_000) as loaded:
            pick(qtbot, switcher, remote_label)
        assert loaded.args[0].remote_host == host
        assert shell.remote.current == ServerModel(entry.id, MODEL)
        qtbot.waitUntil(lambda: switcher.currentText() == remote_label, timeout=5_000)
        assert header.runs_on.isVisible() and header.runs_on.text() == f"Remote: {host}"
        assert header.vision.text() == "Sees images"

        # The conversation goes to the server (after the one question before anything leaves this computer).
        answer_next_question(QMessageBox.StandardButton.Yes)
        with qtbot.waitSignal(shell.chat.answer_finished, timeout=60_000) as finished:
            type_and_send(qtbot, shell, "Hello, server")
        assert finished.args[0].error is None and finished.args[0].backend == "remote"
        conversation = shell.chat.conversation_id
        assert shell.store.get_conversation(conversation).model == ServerModel(entry.id, MODEL).column()
        assert switcher.currentText() == remote_label and header.runs_on.text() == f"Remote: {host}"

        # Choosing the local model again loads it; the header says so.
        with qtbot.waitSignal(shell.model.loaded, timeout=30_000) as loaded:
            pick(qtbot, switcher, local)
        assert isinstance(loaded.args[0], LoadResult) and shell.remote.current is None
        qtbot.waitUntil(lambda: switcher.currentText() == local, timeout=5_000)
        assert header.runs_on.text() in ("CPU", f"GPU ({shell.model.result.runs_on})")
        assert remote_label in labels(switcher), "the server's model stays listed"
    finally:
        shell.shutdown()


def test_a_server_on_this_computer_is_listed_as_such(qtbot, shell, llama_server: LlamaServer) -> None:  # noqa: F811
    entry = shell.servers.add(llama_server.url, name="here")
    switcher = shell.window.header.switcher
    label = f"{MODEL} — server on this computer"
    switcher.showPopup()
    qtbot.waitUntil(lambda: label in labels(switcher), timeout=30_000)
    switcher.hidePopup()
    with qtbot.waitSignal(shell.model.loaded, timeout=30_000) as loaded:
        pick(qtbot, switcher, label)
    assert loaded.args[0].remote_host is None and shell.remote.current == ServerModel(entry.id, MODEL)
    qtbot.waitUntil(lambda: switcher.currentText() == label, timeout=5_000)
    assert shell.window.header.runs_on.text() == "Server on this computer"
