"""Fixtures for the desktop tests: offscreen Qt, generated models, one isolated data folder per test."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

import pytest  # noqa: E402

from tests import model_factory


@pytest.fixture(scope="session")
def test_models(tmp_path_factory: pytest.TempPathFactory):
    return model_factory.write_test_models(tmp_path_factory.mktemp("gguf"))


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("VISIONDESK_DATA_DIR", str(folder))
    return folder


def write_settings(data_dir: Path, **values) -> None:
    from visiondesk.core.settings import Settings, SettingsRepository

    s = Settings(language="en", theme="light", temperature=0.0, max_tokens=24, context_size=2048)
    for k, v in values.items():
        setattr(s, k, v)
    s.validate()
    SettingsRepository(data_dir / "settings.json").save(s)


@pytest.fixture
def configured(data_dir: Path, test_models) -> Path:
    write_settings(data_dir, model_path=str(test_models.model), mmproj_path=str(test_models.mmproj))
    return data_dir


def open_shell(qtbot, data_dir: Path, wait_loaded: bool = True):
    from visiondesk.desktop.shell import AppShell

    shell = AppShell(data_dir)
    qtbot.addWidget(shell.window)
    shell.window.show()
    if wait_loaded and shell.settings.model_path:
        qtbot.waitUntil(lambda: shell.model.state in ("loaded", "failed"), timeout=30_000)
        assert shell.model.state == "loaded", shell.window.first_run.error.text()
    return shell


@pytest.fixture
def shell(qtbot, configured: Path) -> Iterator:
    s = open_shell(qtbot, configured)
    yield s
    s.shutdown()


@pytest.fixture
def images(tmp_path: Path) -> list[Path]:
    from PIL import Image

    out = []
    for i, color in enumerate(("red", "blue")):
        p = tmp_path / f"photo{i}.png"
        Image.new("RGB", (48 + 8 * i, 40), color).save(p)
        out.append(p)
    return out


@pytest.fixture(scope="session")
def json_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A generated pair that favours closing quotes, brackets and EOS: answers under a JSON schema end soon."""
    d = tmp_path_factory.mktemp("json-desktop")
    return (model_factory.write_text_model(d / "json-chat.gguf", favour=b'"]}'),
            model_factory.write_mmproj(d / "json-mmproj.gguf"))


@pytest.fixture
def json_shell(qtbot, data_dir: Path, json_models: tuple[Path, Path]) -> Iterator:
    """The app on the JSON-friendly model, sampling at 0.9 with room for whole JSON answers."""
    write_settings(data_dir, model_path=str(json_models[0]), mmproj_path=str(json_models[1]), temperature=0.9,
                   max_tokens=400)
    s = open_shell(qtbot, data_dir)
    yield s
    s.shutdown()


def fresh_window(data: Path, script: str) -> str:
    """Run ``script`` in a new Python process after the window has started and shown itself (``app``, ``shell``
    and ``sys``, ``json``, ``time``, ``Path`` defined); its stdout. For what only a fresh process shows (imports)."""
    code = ("import json, sys, time\nfrom pathlib import Path\nfrom visiondesk.desktop.app import make_application\n"
            "app = make_application([])\nfrom visiondesk.desktop.shell import AppShell\n"
            f"shell = AppShell(Path({str(data)!r}))\nshell.window.show()\napp.processEvents()\n" + script)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout
