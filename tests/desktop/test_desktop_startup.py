"""Issue 18, defect 5: start-up errors are shown on the terminal (and, where a window can open, in a dialog),
not only "Aborted"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox

from tests.desktop.conftest import fresh_window


def test_broken_platform_plugin_prints_the_reason(tmp_path: Path) -> None:
    """QT_QPA_PLATFORM=xcb with no display (and here, missing X11 libraries): the reason, not a core dump."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_LOGGING_RULES")}
    env.update(QT_QPA_PLATFORM="xcb", VISIONDESK_DATA_DIR=str(tmp_path / "data"))
    run = subprocess.run([sys.executable, "-m", "visiondesk"], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 1, (run.returncode, run.stderr)  # not 134 (SIGABRT)
    assert "cannot open its window" in run.stderr
    assert "DISPLAY" in run.stderr or "apt install" in run.stderr


def test_platform_problem_names_the_missing_display() -> None:
    from visiondesk.desktop import startup_checks

    problem = startup_checks.platform_problem({"QT_QPA_PLATFORM": "xcb"})
    assert problem is not None and ("DISPLAY" in problem or "libxcb" in problem)
    assert startup_checks.platform_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert "WAYLAND_DISPLAY" in startup_checks.platform_problem({"QT_QPA_PLATFORM": "wayland"})


def test_a_failure_after_qt_starts_is_shown_in_a_dialog_and_on_the_terminal(qtbot, data_dir: Path, capsys) -> None:
    from visiondesk.core.paths import DataPaths
    from visiondesk.desktop.app import open_main_window

    paths = DataPaths.at(data_dir).create()
    paths.conversations_db.mkdir(parents=True)  # a folder where the database belongs: the store cannot open
    assert open_main_window(data_dir) is None
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert boxes and boxes[0].objectName() == "startupError"
    assert "could not start" in boxes[0].text()
    assert "could not start" in capsys.readouterr().err
    boxes[0].close()


def test_the_window_starts_without_importing_the_openai_package(tmp_path: Path) -> None:
    """Build 7 (launch <= 1 s): ``openai`` takes about a second to import; the window needs it only when a server's
    model is used or a server is tested, so start-up leaves it out."""
    out = fresh_window(tmp_path / "data", "print('openai' in sys.modules)\nshell.shutdown()\n"
                       "from visiondesk.engine.remote import RemoteBackend\nprint('openai' in sys.modules)\n")
    assert out.split() == ["False", "True"]  # not at start-up; there as soon as the backend is asked for


def test_the_window_starts_without_the_hub_client_the_api_server_or_keyring(tmp_path: Path) -> None:
    """Build 7 (launch <= 1 s): ``huggingface_hub`` (~0.6 s), Starlette/uvicorn (~0.2 s), ``keyring`` (~0.1 s),
    jinja2 (~50 ms), ``jsonschema`` (~80 ms) and ``ziamath`` (~150 ms) are needed only to search or download a
    model, to serve the local API, to read a server's key, to render a prompt, to check an answer format's schema
    and to draw a formula: the window starts without them, and each is there on its first use."""
    watched = ["huggingface_hub", "httpx2", "starlette", "uvicorn", "visiondesk.api.app", "keyring", "jinja2",
               "jsonschema", "ziamath"]
    script = (f"watched = {watched!r}\n"
            "print(json.dumps([m for m in watched if m in sys.modules]))\n"
            "shell.servers.keys.uses_fallback_file\n"
            "box = shell.answer_format.view.combo\nbox.activated.emit(box.findData('preset:receipt'))\n"
            "assert shell.answer_format.response_format().schema\nshell.shutdown()\n"
            "from visiondesk.models.hub import HubClient\nHubClient()\n"
            "from visiondesk import api\napi.create_app\n"
            "from visiondesk.engine.llama.chat_template import render_prompt\nrender_prompt('{{ 1 }}', [])\n"
            "from visiondesk.desktop.math_render import draw\nassert draw('x^2', False, '#000000', 14, 1.0)\n"
              "print(json.dumps([m for m in watched if m in sys.modules]))\n")
    out = fresh_window(tmp_path / "data", script)
    at_start, after_use = (json.loads(line) for line in out.split("\n")[:2])
    assert at_start == []
    assert after_use == watched
