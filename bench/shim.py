"""Make ``import visiondesk`` work from a plain checkout (the device machine has no install): a folder of
symlinks put on ``sys.path`` and ``PYTHONPATH`` (so child processes see it too)."""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def ensure_visiondesk() -> None:
    """Make ``import visiondesk`` work without an install (the GPU machine): a shim of symlinks."""
    try:  # the engine, not just a package of that name: packaging/visiondesk (the launcher) shadows it from there
        import visiondesk.engine  # noqa: F401

        return
    except ImportError:
        pass
    shim = Path(tempfile.gettempdir()) / "vd-bench-shim"
    pkg = shim / "visiondesk"
    pkg.mkdir(parents=True, exist_ok=True)
    for f in (ROOT / "packaging" / "visiondesk").iterdir():
        if f.suffix == ".py" and not (pkg / f.name).exists():
            (pkg / f.name).symlink_to(f)
    for sub in ("engine", "models", "core", "batch", "api", "cli"):
        if not (pkg / sub).exists():
            (pkg / sub).symlink_to(ROOT / sub)
    sys.path.insert(0, str(shim))
    sys.path_importer_cache.pop(str(shim), None)  # a PYTHONPATH entry that did not exist yet is cached as such
    importlib.invalidate_caches()
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(shim), os.environ.get("PYTHONPATH")]))
    for m in [m for m in sys.modules if m == "visiondesk" or m.startswith("visiondesk.")]:
        del sys.modules[m]
    import visiondesk  # noqa: F401,F811
