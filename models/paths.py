"""Where the model manager keeps its data: ``VISIONDESK_DATA_DIR`` or the platform's user data folder."""

from __future__ import annotations

import re
from pathlib import Path

from visiondesk.engine.data_dir import DATA_DIR_ENV, data_dir

__all__ = ["DATA_DIR_ENV", "data_dir", "model_folder", "models_dir"]


def models_dir(root: Path | None = None) -> Path:
    """Folder holding one sub-folder per installed model."""
    return (root or data_dir()) / "models"


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def model_folder(name: str, root: Path | None = None) -> Path:
    """``<data>/models/<owner>/<repo>`` for a Hub repository, ``<data>/models/<name>`` for a local import."""
    parts = [p for p in (_UNSAFE.sub("_", part) for part in name.split("/")) if p not in ("", ".", "..")]
    return models_dir(root).joinpath(*parts) if parts else models_dir(root) / "unnamed"
