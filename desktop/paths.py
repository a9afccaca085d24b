"""Where VisionDesk keeps its data on disk.

Everything lives under one data directory so tests (and portable installs) can redirect it all with
the ``VISIONDESK_DATA_DIR`` environment variable.
"""

from __future__ import annotations

from pathlib import Path

from visiondesk.engine.data_dir import APP_NAME, DATA_DIR_ENV
from visiondesk.engine.data_dir import data_dir as _data_dir

__all__ = ["APP_NAME", "DATA_DIR_ENV", "attachments_dir", "data_dir", "db_path", "log_dir", "settings_path"]


def _ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """Return the app's data directory, creating it if needed.

    ``$VISIONDESK_DATA_DIR`` wins when set and non-empty; otherwise the platform's per-user data
    directory (e.g. ``~/.local/share/VisionDesk`` on Linux).
    """
    return _ensure(_data_dir())


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
