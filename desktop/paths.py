"""Where VisionDesk keeps its data on disk.

Everything lives under one data directory so tests (and portable installs) can redirect it all with
the ``VISIONDESK_DATA_DIR`` environment variable.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "VisionDesk"
DATA_DIR_ENV = "VISIONDESK_DATA_DIR"


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """Return the app's data directory, creating it if needed.

    ``$VISIONDESK_DATA_DIR`` wins when set and non-empty; otherwise the platform's per-user data
    directory (e.g. ``~/.local/share/VisionDesk`` on Linux).
    """
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        base = Path(override).expanduser()
    else:
        base = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return _ensure(base)


def db_path() -> Path:
    """Return the path of the conversation database (its folder exists; the file may not)."""
    return data_dir() / "conversations.sqlite3"


def attachments_dir() -> Path:
    """Return the folder holding content-addressed image attachments, creating it if needed."""
    return _ensure(data_dir() / "attachments")


def log_dir() -> Path:
    """Return the folder holding the rotating log files, creating it if needed."""
    return _ensure(data_dir() / "logs")


def settings_path() -> Path:
    """Return the path of ``settings.json`` (its folder exists; the file may not)."""
    return data_dir() / "settings.json"
