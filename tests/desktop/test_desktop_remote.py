"""The desktop with a remote server: the Servers page, its model picked, a chat with an image, the remote banner,
the one confirmation, and the conversation still bound to that server after a restart.

The server is the real llama-server of tests/remote (loopback). To see it as remote without a network, it is
registered under this machine's own host name: the privacy rule resolves no name (only ``localhost`` and
loopback address literals count as local), and here that name resolves to 127.0.0.1, so the requests still
reach the server.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from visiondesk.core.model_binding import ServerModel
from visiondesk.engine import StopReason

from tests.desktop.conftest import open_shell
from tests.remote.conftest import (  # noqa: F401
    API_KEY,
    LlamaServer,
    llama_server,
    llama_server_binary,
    llama_server_keyed,
)

MODEL = "tiny-vision"


def remote_url(server: LlamaServer) -> tuple[str, str]:
    """The server's URL under this machine's host name, and the host:port the banner must name."""
    host = socket.gethostname()
    assert all(a[4][0].startswith("127.") for a in socket.getaddrinfo(host, None)), "needs a loopback host name"
    port = server.url.rsplit(":", 1)[1]
    return f"http://{host}:{port}", f"{host}:{port}"


def answer_next_question(button: QMessageBox.StandardButton) -> list[str]:
    """Click ``button`` in the next message box that opens; returns (later) the question's text."""
    seen: list[str] = []

    def click() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.button(button).click()
        else:
            QTimer.singleShot(20, click)

    QTimer.singleShot(0, click)
    return seen


def type_and_send(qtbot, shell, text: str, images: list[Path] = ()) -> None:
    if images:
        shell.composer.add_files(list(images))
        qtbot.waitUntil(lambda: len(shell.composer.pending) == len(images), timeout=10_000)
    shell.window.composer.edit.setPlainText(text)
    qtbot.keyClick(shell.window.composer.edit, Qt.Key.Key_Return)


def last_answer(shell):
    return shell.store.messages(shell.chat.conversation_id)[-1]


def test_add_a_server_pick_its_model_chat_with_an_image_and_reopen_after_a_restart(
        qtbot, configured: Path, llama_server: LlamaServer, images: list[Path]) -> None:  # noqa: F811
    url, host = remote_url(llama_server)
    shell = open_shell(qtbot, configured)
    assert shell.banner.model_label.text() and not shell.banner.remote_label.isVisible(), "the local model: no warning"

    # The Servers page: add the server, test it, see its model marked as remote and as seeing images.
    pages = shell.servers_controller
    shell.servers_action.trigger()
    dialog = pages.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.name_edit.setText("lab")
    dialog.url_edit.setText(url)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert [e.name for e in shell.servers.list()] == ["lab"]
    assert dialog.servers_list.item(0).text() == f"lab (remote: {host})"
    with qtbot.waitSignal(pages.tested, timeout=30_000) as tested:
        qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    server_id = shell.servers.list()[0].id
    assert tested.args[0] == server_id and tested.args[1].error is None
    assert dialog.status_label.text() == f"Reachable: llama-server, 1 model(s), remote: {host}"
    assert dialog.models_list.item(0).text() == f"{MODEL} — sees images — remote: {host}"

    assert dialog.use_button.isEnabled()

    # The Model menu lists it beside the local models, marked remote; picking it switches the engine thread
    # to the remote backend, and the banner says images leave.
    picker = shell.model_menu_controller
    picker.reports.clear()  # forget the Servers page's test: the menu asks the server itself
    shell.model_menu.aboutToShow.emit()  # what opening the menu does
    label = f"{MODEL} — sees images — remote: {host}"
    qtbot.waitUntil(lambda: label in picker.entries(), timeout=30_000)
    assert "lab" in picker.entries()
    (action,) = [a for a in shell.model_menu.actions() if a.text() == label]
    assert not action.isChecked()
    with qtbot.waitSignal(shell.model.loaded, timeout=30_000) as loaded:
        action.trigger()
    assert loaded.args[0].remote_host == host
    assert shell.remote.current == ServerModel(server_id, MODEL)
    picker.rebuild()
    assert [a.isChecked() for a in shell.model_menu.actions() if a.text() == label] == [True], "marked as chosen"
    assert shell.banner.isVisible() and shell.banner.model_label.text() == MODEL
    assert shell.banner.remote_label.isVisible()
    assert shell.banner.remote_label.text() == f"Remote: {host} — images you send leave this computer"

    # "What the model sees" cannot be measured here: the server reads the images.
    shell.composer.add_files(images[:1])
    qtbot.waitUntil(lambda: "measured there" in shell.image_preview.view.context_label.text(), timeout=10_000)

    # The first message asks; "No" sends nothing and keeps the question.
    seen_log = len(llama_server.log_text())
    question = answer_next_question(QMessageBox.StandardButton.No)
    type_and_send(qtbot, shell, "What is in this picture?")
    qtbot.waitUntil(lambda: shell.chat.conversation_id is not None and last_answer(shell).complete, timeout=10_000)
    assert question and host in question[0] and "leave this computer" in question[0]
    refused = last_answer(shell)
    assert refused.text == "" and "Not sent: you did not agree to send to" in refused.stats["error"]
    assert "processing task" not in llama_server.log_text()[seen_log:], "nothing reached the server"
    user = shell.store.messages(shell.chat.conversation_id)[0]
    assert user.text == "What is in this picture?" and len(user.attachments) == 1, "the question is kept"
    assert not shell.chat.busy

    # Regenerate asks again; "Yes" sends, and the answer comes from the server, image included.
    answer_next_question(QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=60_000) as finished:
        shell.chat.regenerate()
    fin = finished.args[0]
    assert fin.error is None and fin.backend == "remote" and fin.stop_reason is StopReason.LENGTH
    assert fin.usage.images_encoded == 1 and fin.usage.prompt_tokens > 16
    assert last_answer(shell).text.strip() and shell.remote.asked == 2
    assert shell.servers.get(server_id).sending_confirmed
    qtbot.waitUntil(lambda: "processing task" in llama_server.log_text()[seen_log:], timeout=5_000)  # the log works

    # Agreed once: the next message goes without asking.
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=60_000) as finished:
        type_and_send(qtbot, shell, "And the colours?")
    assert finished.args[0].error is None and finished.args[0].backend == "remote"
    assert shell.remote.asked == 2
    conversation = shell.chat.conversation_id
    assert shell.store.get_conversation(conversation).model == f"server:{server_id}/{MODEL}"
    shell.shutdown()
    shell.window.close()

    # After a restart the local model loads; reopening the conversation binds it to the server again.
    again = open_shell(qtbot, configured)
    try:
        assert again.remote.current is None and not again.banner.remote_label.isVisible()
        with qtbot.waitSignal(again.model.loaded, timeout=30_000) as rebound:
            again.conversations.select(conversation)
        assert rebound.args[0].remote_host == host and again.remote.current == ServerModel(server_id, MODEL)
        assert again.banner.remote_label.text() == f"Remote: {host} — images you send leave this computer"
        with qtbot.waitSignal(again.chat.answer_finished, timeout=60_000) as finished:
            type_and_send(qtbot, again, "One more thing?")
        assert finished.args[0].error is None and finished.args[0].backend == "remote"
        assert again.remote.asked == 0, "the agreement was kept across the restart"
        assert len(again.store.messages(conversation)) == 6
    finally:
        again.shutdown()


def test_the_servers_page_refuses_a_bad_address_and_keeps_keys_out_of_the_list(qtbot, shell, tmp_path: Path) -> None:
    pages = shell.servers_controller
    dialog = pages.open()
    dialog.url_edit.setText("ftp://gpu/v1")
    assert pages.save() is None
    assert "is not a server address" in dialog.status_label.text() and shell.servers.list() == []
    dialog.url_edit.setText("http://10.0.0.9:8000")
    dialog.name_edit.setText("gpu")
    dialog.key_edit.setText("sk-secret-1")
    entry = pages.save()
    assert entry is not None and entry.has_key and shell.servers.keys.get(entry.id) == "sk-secret-1"
    assert "sk-secret" not in shell.paths.servers.read_text()
    assert dialog.key_edit.text() == "" and "a key is kept" in dialog.key_edit.placeholderText()
    assert shell.servers.keys.notice is None or dialog.key_notice.text() == shell.servers.keys.notice
    dialog.name_edit.setText("gpu box")
    dialog.ca_edit.setText(str(tmp_path / "missing.pem"))
    assert pages.save() is None and "missing.pem is not a file" in dialog.status_label.text()
    (tmp_path / "lab-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    dialog.ca_edit.setText(str(tmp_path / "lab-ca.pem"))
    dialog.newest_image_only_check.setChecked(True)
    assert pages.save() is not None and [e.name for e in shell.servers.list()] == ["gpu box"]
    edited = shell.servers.get(entry.id)
    assert edited.ca_bundle == str(tmp_path / "lab-ca.pem") and edited.newest_image_only and edited.has_key
    assert edited.target("m").ca_bundle == tmp_path / "lab-ca.pem" and edited.target("m").newest_image_only
    assert dialog.ca_edit.text() == str(tmp_path / "lab-ca.pem") and dialog.newest_image_only_check.isChecked()
    assert dialog.servers_list.item(0).text() == "gpu box (remote: 10.0.0.9:8000)"
    pages.remove_selected()
    assert shell.servers.list() == [] and shell.servers.keys.get(entry.id) is None
    shell.set_language("zh_CN")
    assert shell.servers_action.text() == "服务器(&V)…" and shell.model_menu.title() == "模型(&M)"
    qtbot.waitUntil(lambda: dialog.windowTitle() == "服务器")  # Qt's LanguageChange event reaches the dialog
    shell.banner.show_model("llava", "gpu.example.org")
    assert shell.banner.remote_label.text() == "远程：gpu.example.org — 你发送的图片会离开这台电脑"


@pytest.fixture(autouse=True)
def _no_system_credential_store() -> Iterator[None]:
    """Keys go to the private fallback file in the test's data folder, never to a real keychain."""
    import keyring
    import keyring.backends.fail

    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_conversations_switch_between_the_local_model_and_a_server_and_a_removed_server_gets_nothing(
        qtbot, shell, llama_server: LlamaServer) -> None:  # noqa: F811
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=60_000) as finished:
        type_and_send(qtbot, shell, "Hello, local model")
    assert finished.args[0].backend != "remote"
    local_conversation = shell.chat.conversation_id
    assert shell.store.get_conversation(local_conversation).model == shell.settings.model_path

    # A server on loopback counts as local: no warning, no question. Picked with the page's "Use this model".
    pages = shell.servers_controller
    dialog = pages.open()
    dialog.url_edit.setText(llama_server.url)
    entry = pages.save()
    assert entry is not None and dialog.servers_list.item(0).text().endswith("(this computer)")
    with qtbot.waitSignal(pages.tested, timeout=30_000):
        pages.test()
    assert dialog.models_list.item(0).text() == f"{MODEL} — sees images — server on this computer"
    with qtbot.waitSignal(shell.model.loaded, timeout=30_000) as loaded:
        qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert loaded.args[0].remote_host is None
    assert shell.banner.model_label.text() == MODEL and not shell.banner.remote_label.isVisible()
    shell.conversations.new_chat()
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=60_000) as finished:
        type_and_send(qtbot, shell, "Hello, server")
    assert finished.args[0].backend == "remote" and finished.args[0].error is None and shell.remote.asked == 0
    server_conversation = shell.chat.conversation_id
    assert shell.store.get_conversation(server_conversation).model == f"server:{entry.id}/{MODEL}"

    # Opening each conversation brings its own backend back.
    with qtbot.waitSignal(shell.model.loaded, timeout=30_000) as loaded:
        shell.conversations.select(local_conversation)
    assert loaded.args[0].remote_host is None and shell.remote.current is None
    assert shell.banner.model_label.text() != MODEL
    with qtbot.waitSignal(shell.model.loaded, timeout=30_000):
        shell.conversations.select(server_conversation)
    assert shell.remote.current == ServerModel(entry.id, MODEL)

    # Removed while bound: the next message is kept, nothing is sent, and the answer says why.
    seen_log = len(llama_server.log_text())
    pages.remove_selected()
    type_and_send(qtbot, shell, "Still there?")
    qtbot.waitUntil(lambda: last_answer(shell).complete, timeout=10_000)
    assert "no longer one of your servers, so nothing was sent" in last_answer(shell).stats["error"]
    assert shell.store.messages(server_conversation)[-2].text == "Still there?"
    assert "processing task" not in llama_server.log_text()[seen_log:]
    shell.conversations.select(local_conversation)
    qtbot.waitUntil(lambda: shell.model.state == "loaded" and shell.remote.current is None, timeout=30_000)
    shell.conversations.select(server_conversation)
    assert "no longer one of your servers" in shell.window.notice.label.text() and shell.window.notice.isVisible()


def test_a_servers_key_typed_on_the_page_is_tried_then_kept(qtbot, shell, llama_server_keyed: LlamaServer) -> None:  # noqa: F811
    pages = shell.servers_controller
    dialog = pages.open()
    dialog.url_edit.setText(llama_server_keyed.url)
    entry = pages.save()
    assert entry is not None and not entry.has_key
    for typed, expected in (("", "It needs an API key"), ("wrong-key", "Check the API key"),
                            (API_KEY, "Reachable: llama-server, 1 model(s), on this computer")):
        dialog.key_edit.setText(typed)
        with qtbot.waitSignal(pages.tested, timeout=30_000):
            qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        assert expected in dialog.status_label.text()
    assert not shell.servers.get(entry.id).has_key, "testing a typed key does not keep it"
    assert pages.save() is not None and shell.servers.get(entry.id).has_key
    assert dialog.key_edit.text() == ""
    with qtbot.waitSignal(pages.tested, timeout=30_000):
        pages.test()
    assert dialog.status_label.text().startswith("Reachable"), "the kept key is used"


def dead_port() -> int:
    """A loopback port nothing listens on: bound to get a free one, then closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_server_whose_port_is_closed_is_said_in_chinese_on_the_page_in_the_menu_and_on_use(qtbot, shell) -> None:
    url = f"http://127.0.0.1:{dead_port()}"
    shell.set_language("zh_CN")
    try:
        pages = shell.servers_controller
        dialog = pages.open()
        dialog.name_edit.setText("dead")
        dialog.url_edit.setText(url)
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        (entry,) = shell.servers.list()
        assert entry.base_url == f"{url}/v1"
        unreachable = (f"无法连接到 {entry.base_url} 的服务器。"
                       "请确认它正在运行，并且地址（主机、端口、http 或 https）正确。")
        with qtbot.waitSignal(pages.tested, timeout=30_000) as tested:
            qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
        assert type(tested.args[1].error).__name__ == "ServerUnreachable"
        assert dialog.status_label.text() == unreachable

        picker = shell.model_menu_controller
        picker.reports.clear()  # the menu asks the server itself
        shell.model_menu.aboutToShow.emit()
        qtbot.waitUntil(lambda: unreachable in picker.entries(), timeout=30_000)

        # Choosing a model of that server (what "Use this model" does): the local model stays, the notice says why.
        local = shell.model.result.model_name
        pages.model_chosen.emit(entry.id, "tiny-vision")
        qtbot.waitUntil(lambda: shell.window.notice.isVisible() and unreachable in shell.window.notice.label.text(),
                        timeout=30_000)
        assert shell.window.notice.label.text().endswith(unreachable)
        assert local in shell.window.notice.label.text() and "Cannot reach" not in shell.window.notice.label.text()
    finally:
        shell.set_language("en")
