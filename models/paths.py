"""Where an installed model's files go inside the models folder the caller passes (from ``core.paths``)."""

from __future__ import annotations

import re
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def model_folder(name: str, models_dir: Path) -> Path:
    """``<models>/<owner>/<repo>`` for a Hub repository, ``<models>/<name>`` for a local import."""
    parts = [p for p in (_UNSAFE.sub("_", part) for part in name.split("/")) if p not in ("", ".", "..")]
    return models_dir.joinpath(*parts) if parts else models_dir / "unnamed"
