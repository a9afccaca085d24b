"""The model manager is plain Python: importing all of it loads neither Qt nor llama.cpp."""

from __future__ import annotations

import subprocess
import sys

MODULES = ["catalog", "errors", "events", "fit", "hashing", "hub", "job", "local_models", "manager", "naming",
           "pairing", "paths", "registry", "transfer"]


def test_models_imports_no_qt_and_no_llama_cpp() -> None:
    code = (
        "import sys\n"
        + "".join(f"import visiondesk.models.{m}\n" for m in MODULES)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'PyQt5', "
          "'PyQt6', 'llama_cpp') or m.startswith('visiondesk.desktop'))\n"
        + "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
