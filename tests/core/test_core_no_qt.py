"""The core and the command line are plain Python: importing all of them loads no Qt, and the core no llama.cpp."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import visiondesk.cli
import visiondesk.core

QT = ("PySide6", "shiboken6", "PyQt5", "PyQt6")


def _loaded_after_importing(package: str, folder: Path) -> list[str]:
    modules = sorted(p.stem for p in folder.glob("*.py") if p.stem != "__init__")
    code = (
        "import json, sys\n"
        + "".join(f"import {package}.{m}\n" for m in modules)
        + "tops = {m.split('.')[0] for m in sys.modules}\n"
        + "print(json.dumps(sorted(tops | {m for m in sys.modules if m.startswith('visiondesk.')})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    names: list[str] = json.loads(out)
    return names


def test_core_imports_neither_qt_nor_llama_cpp_nor_a_front_end() -> None:
    loaded = _loaded_after_importing("visiondesk.core", Path(visiondesk.core.__file__).parent)
    assert "visiondesk.core.store" in loaded and "visiondesk.core.paths" in loaded
    bad = [m for m in loaded if m in (*QT, "llama_cpp") or m.startswith(("visiondesk.desktop", "visiondesk.cli"))]
    assert bad == []


def test_command_line_imports_no_qt_and_not_the_desktop() -> None:
    loaded = _loaded_after_importing("visiondesk.cli", Path(visiondesk.cli.__file__).parent)
    assert "visiondesk.cli.models_commands" in loaded and "visiondesk.engine.llama" in loaded
    assert [m for m in loaded if m in QT or m.startswith("visiondesk.desktop")] == []
