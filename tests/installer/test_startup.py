"""Issue 19: what the packaged app relies on at start-up, checked from the source tree (fast, no build).

The frozen app itself is checked in a clean Debian system by test_deb_package.py (``-m installer``).
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return {**env, "VISIONDESK_DATA_DIR": str(tmp_path / "data"), **extra}


def test_version_is_answered_without_importing_the_commands(tmp_path: Path) -> None:
    code = ("import sys\nfrom visiondesk.cli import main\nassert main(['--version']) == 0\n"
            "print(sorted(m for m in sys.modules if m.startswith(('visiondesk.cli.', 'visiondesk.engine', 'openai', "
            "'PySide6'))))\n")
    run = subprocess.run([sys.executable, "-c", code], env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    first, loaded = run.stdout.splitlines()
    assert first.startswith("visiondesk ")
    assert loaded == "[]"  # no command module, no engine, no HTTP client, no Qt


def test_a_display_qt_cannot_reach_ends_with_the_reason_not_an_abort(tmp_path: Path) -> None:
    """DISPLAY names an X server that is not there: Qt's fatal message, exit 1, no SIGABRT and no core dump."""
    display = next(f":{n}" for n in range(900, 999) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    run = subprocess.run([sys.executable, "-m", "visiondesk"], env=_env(tmp_path, QT_QPA_PLATFORM="xcb",
                                                                        DISPLAY=display),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, (run.returncode, run.stderr)
    assert "VisionDesk" in run.stderr and ("display" in run.stderr.lower() or "apt install" in run.stderr)


def test_an_unexpected_error_is_said_in_words(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import visiondesk.cli
    from visiondesk import launcher

    def fails(argv: list[str]) -> int:  # stands in for any bug that escapes a command
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(visiondesk.cli, "main", fails)
    assert launcher.run(["models", "list"]) == 1
    err = capsys.readouterr().err
    assert "VisionDesk stopped on an unexpected error: RuntimeError: the disk went away" in err
    assert launcher.opens_window([]) and launcher.opens_window(["app", "x.png"])
    assert not launcher.opens_window(["ask", "hi"])


def test_error_dialog_uses_the_systems_dialog_program_only_with_a_display(tmp_path: Path) -> None:
    from visiondesk.desktop.startup_checks import error_dialog

    # A stand-in for xmessage (no dialog program may be installed here): it records what it was asked to show.
    tool = tmp_path / "xmessage"
    tool.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {tmp_path / 'shown'}\necho \"$LD_LIBRARY_PATH\" >> "
                    f"{tmp_path / 'shown'}\n")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    assert not error_dialog("no display", {"PATH": str(tmp_path)})
    assert not (tmp_path / "shown").exists()
    shown = error_dialog("VisionDesk cannot open its window: libxcb-cursor.so.0",
                         {"PATH": str(tmp_path), "DISPLAY": ":5", "LD_LIBRARY_PATH": "/opt/visiondesk/_internal",
                          "LD_LIBRARY_PATH_ORIG": "/usr/local/lib"})
    assert shown
    lines = (tmp_path / "shown").read_text().splitlines()
    assert "VisionDesk cannot open its window: libxcb-cursor.so.0" in lines
    assert lines[-1] == "/usr/local/lib"  # the system program gets the library path from before the bundle's


def test_app_command_takes_images_to_attach(tmp_path: Path) -> None:
    """The .desktop entry's ``visiondesk app %F`` (a file manager's Open With)."""
    from visiondesk.cli import build_parser

    args = build_parser().parse_args(["app", str(tmp_path / "a.png"), "b.jpg"])
    assert args.images == [tmp_path / "a.png", Path("b.jpg")]


def test_ctrl_c_closes_the_window_cleanly(tmp_path: Path) -> None:
    """SIGINT while Qt's loop is idle closes the app as its close button does (exit 0), within seconds."""
    env = _env(tmp_path, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen([sys.executable, "-m", "visiondesk"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    log = tmp_path / "data" / "logs"
    deadline = time.monotonic() + 120
    while not any("VisionDesk started" in f.read_text(errors="replace") for f in log.glob("*.log")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.2)
    time.sleep(1)  # the loop is idle now: nothing runs Python code but the signal's wake-up
    proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("Ctrl+C did not close the app within 30 s") from None
    assert code == 0, proc.communicate()
