"""The app's API switch under pytest-qt: on, the real openai client (text and an image), the log, off, port freed.

The API serves the model loaded in the window through the window's engine thread; afterwards the
window still answers.
"""

from __future__ import annotations

import base64
import io
import socket
import threading

import openai
import pytest
from PIL import Image
from PySide6.QtGui import QGuiApplication

API_KEY = "desk-key-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def png_data_url() -> str:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 60, 20)).save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def switch(qtbot, page, controller, on: bool) -> None:
    with qtbot.waitSignal(controller.running_changed, timeout=30_000) as changed:
        page.enabled.click()
    assert changed.args == [on] and page.enabled.isChecked() is on


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_switch_on_call_it_see_the_log_switch_off(qtbot, shell) -> None:
    ctrl = shell.api_server
    shell.window.api_server_action.trigger()
    page = ctrl.page
    assert page is not None and page.isVisible() and not page.enabled.isChecked()
    port = free_port()
    page.port.setValue(port)
    page.key.setText(API_KEY)
    switch(qtbot, page, ctrl, True)
    assert page.base_url.text() == f"http://127.0.0.1:{port}/v1" and not page.port.isEnabled()
    assert "tiny" in page.status.text()
    page.copy_url.click()
    assert QGuiApplication.clipboard().text() == page.base_url.text()

    with openai.OpenAI(base_url=page.base_url.text(), api_key=API_KEY, max_retries=0, timeout=60) as client:
        models = client.models.list()
        assert [m.id for m in models.data] == [shell.engine.worker.info.model_name]
        text = client.chat.completions.create(model="x", max_tokens=8, temperature=0,
                                              messages=[{"role": "user", "content": "Hello"}])
        assert text.choices[0].message.content and text.usage.completion_tokens == 8
        seen = client.chat.completions.create(model="x", max_tokens=8, temperature=0, messages=[
            {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                         {"type": "image_url", "image_url": {"url": png_data_url()}}]}])
        assert seen.usage.prompt_tokens - text.usage.prompt_tokens >= 16, "the image's tokens were read"
    with openai.OpenAI(base_url=page.base_url.text(), api_key="wrong-key-000000", max_retries=0) as stranger, \
            pytest.raises(openai.AuthenticationError):
        stranger.chat.completions.create(model="x", messages=[{"role": "user", "content": "Hi"}])

    qtbot.waitUntil(lambda: page.log.rowCount() == 2, timeout=5_000)
    records = ctrl.request_log.recent()
    assert [(r.status, r.images) for r in records] == [(200, 0), (200, 1)]
    assert page.log.item(0, 2).text() == "200" and page.log.item(0, 4).text().endswith("+ 8")

    switch(qtbot, page, ctrl, False)
    assert port_is_free(port) and page.port.isEnabled()
    with openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=API_KEY, max_retries=0, timeout=5) as c, \
            pytest.raises(openai.APIConnectionError):
        c.models.list()

    shell.window.composer.edit.setPlainText("Still there?")
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=60_000) as done:
        shell.composer.submit()
    assert done.args[0].error is None and shell.chat.active is None


def test_a_window_answer_and_an_api_request_take_turns(qtbot, shell) -> None:
    """Both use the one engine thread: the API request waits for the window's answer, then both are whole."""
    ctrl = shell.api_server
    page = ctrl.open()
    page.port.setValue(free_port())
    switch(qtbot, page, ctrl, True)
    shell.window.composer.edit.setPlainText("Window question")
    shell.composer.submit()
    results: list[object] = []

    def call() -> None:
        with openai.OpenAI(base_url=ctrl.base_url, api_key="unused", max_retries=0, timeout=60) as client:
            results.append(client.chat.completions.create(model="x", max_tokens=6, temperature=0,
                                                          messages=[{"role": "user", "content": "API question"}]))

    caller = threading.Thread(target=call)
    with qtbot.waitSignal(shell.chat.answer_finished, timeout=60_000) as done:
        caller.start()
    qtbot.waitUntil(lambda: not caller.is_alive(), timeout=60_000)
    assert done.args[0].error is None and len(results) == 1
    assert results[0].usage.completion_tokens == 6  # type: ignore[attr-defined]
    switch(qtbot, page, ctrl, False)


def test_a_port_in_use_is_said(qtbot, shell) -> None:
    ctrl = shell.api_server
    page = ctrl.open()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        page.port.setValue(taken.getsockname()[1])
        with qtbot.waitSignal(ctrl.failed, timeout=10_000) as failed:
            page.enabled.click()
    assert "in use" in failed.args[0] and failed.args[0] in page.status.text()
    assert not ctrl.running and not page.enabled.isChecked() and page.port.isEnabled()
    page.key.setText("short")
    with qtbot.waitSignal(ctrl.failed, timeout=5_000) as failed:
        page.enabled.click()
    assert "shorter than 8" in failed.args[0] and not page.enabled.isChecked()


def test_shutdown_with_the_server_on_frees_the_port(qtbot, configured) -> None:
    from tests.desktop.conftest import open_shell

    shell = open_shell(qtbot, configured)
    page = shell.api_server.open()
    port = free_port()
    page.port.setValue(port)
    switch(qtbot, page, shell.api_server, True)
    shell.shutdown()
    assert port_is_free(port)
