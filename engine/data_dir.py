"""The one rule for where VisionDesk keeps its data; the engine, model manager and app all use it."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "VisionDesk"
DATA_DIR_ENV = "VISIONDESK_DATA_DIR"


def data_dir() -> Path:
    """``$VISIONDESK_DATA_DIR`` when set and non-empty, else the platform's per-user data folder.

    Read on every call so tests can redirect it; not created here.
    """
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
