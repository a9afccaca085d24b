"""The window opens where it was closed: its size and the sidebar's width come back after a restart; a damaged
record gives the default layout with a log line, never a failed start."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from visiondesk.core.paths import DataPaths

from tests.desktop.conftest import open_shell


def test_size_and_sidebar_come_back_after_a_restart(qtbot, configured: Path) -> None:
    shell = open_shell(qtbot, configured, wait_loaded=False)
    default = shell.window.size()
    shell.window.resize(790, 600)  # inside the offscreen platform's 800x800 screen: Qt fits a restored window to it
    qtbot.waitUntil(lambda: shell.window.width() == 790)
    default_sidebar = shell.window.splitter.sizes()[0]  # as wide as the chat's own minimum lets it be, here
    shell.window.splitter.setSizes([185, shell.window.splitter.width() - 185])  # the sidebar's minimum is 180
    qtbot.waitUntil(lambda: shell.window.splitter.sizes()[0] == 185)
    assert default_sidebar != 185
    sidebar = shell.window.splitter.sizes()[0]
    size = shell.window.size()
    assert size != default
    shell.window.close()  # as the close button does
    assert DataPaths.at(configured).window_state.is_file()

    again = open_shell(qtbot, configured, wait_loaded=False)
    try:
        assert again.window.size() == size
        assert again.window.splitter.sizes()[0] == sidebar
    finally:
        again.shutdown()

    record = DataPaths.at(configured).window_state  # a size Qt refuses (another screen): the sidebar still comes back
    state = json.loads(record.read_text())
    record.write_text(json.dumps({**state, "geometry": "AAAA"}))
    third = open_shell(qtbot, configured, wait_loaded=False)
    try:
        assert (third.window.width(), third.window.height()) == (1100, 760)
        qtbot.waitUntil(lambda: third.window.splitter.sizes()[0] == sidebar)
    finally:
        third.shutdown()


@pytest.mark.parametrize("record", [b"not json", b'{"geometry": "%%%", "splitter": ""}', b'{"geometry": "AAAA"}',
                                    b'{"geometry": "AAAA", "splitter": "AAAA"}'])
def test_a_damaged_record_gives_the_default_layout(qtbot, configured: Path, record: bytes,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    DataPaths.at(configured).window_state.write_bytes(record)
    with caplog.at_level(logging.INFO, "visiondesk.desktop.window_placement"):
        shell = open_shell(qtbot, configured, wait_loaded=False)
    try:
        assert (shell.window.width(), shell.window.height()) == (1100, 760)
        assert any("default" in r.message for r in caplog.records)
    finally:
        shell.shutdown()
