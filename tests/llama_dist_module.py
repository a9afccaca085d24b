"""``packaging/llama_dist.py`` as a module, for the tests and their build helpers.

The folder is not a package: its name would shadow PyPI's ``packaging``, so the file is loaded by path.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def llama_dist() -> ModuleType:
    """The module, loaded once."""
    loaded = sys.modules.get("llama_dist")
    if loaded:
        return loaded
    spec = importlib.util.spec_from_file_location("llama_dist", ROOT / "packaging" / "llama_dist.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["llama_dist"] = module
    spec.loader.exec_module(module)
    return module
