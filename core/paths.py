"""The one rule for where VisionDesk keeps its data, and the name of everything in it.

Everything lives under one data directory, so tests and portable installs redirect it all with
``$VISIONDESK_DATA_DIR``. The desktop app, the command line and the model manager take their folders
from ``DataPaths``; the engine and the model manager never work out the data directory themselves.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import platformdirs

APP_NAME = "VisionDesk"
DATA_DIR_ENV = "VISIONDESK_DATA_DIR"


def data_root() -> Path:
    """``$VISIONDESK_DATA_DIR`` when set and non-empty, else the platform's per-user data folder.

    Read on every call so tests can redirect it; not created here.
    """
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclasses.dataclass(frozen=True)
class DataPaths:
    """Every file and folder VisionDesk keeps under one data directory (nothing is created until asked)."""

    root: Path
    conversations_db: Path  # the SQLite conversation history
    attachments: Path  # content-addressed copies of attached images
    models: Path  # one sub-folder per installed model
    model_registry: Path  # the installed models' index (JSON)
    settings: Path  # settings.json
    logs: Path  # the rotating log files
    translations: Path  # compiled translations (.qm) when the install folder is read-only
    presets: Path  # the user's own batch task presets (JSON), beside the built-in ones
    servers: Path  # the remote servers the user added (servers.json)
    server_keys: Path  # their API keys, only where the system has no credential store (readable by the user only)
    pixels: Path  # prepared pixels of attached images, by digest (a bounded cache: deleting it loses nothing)
    batches: Path  # the result files of the window's batch jobs (JSON Lines; a re-run continues its file)
    engine_cache: Path  # image embeddings and conversation states the engine keeps across restarts (bounded)
    window_lock: Path  # held by the one window open on this folder (a second start hands its images to it)
    window_address: Path  # where that window listens for a second start (its local socket's random name)
    window_state: Path  # the window's size, place and sidebar width when it last closed (JSON)

    @classmethod
    def at(cls, root: Path) -> DataPaths:
        """The layout under ``root``."""
        root = Path(root)
        return cls(root=root, conversations_db=root / "conversations.sqlite3", attachments=root / "attachments",
                   models=root / "models", model_registry=root / "registry.json", settings=root / "settings.json",
                   logs=root / "logs", translations=root / "i18n", presets=root / "presets",
                   servers=root / "servers.json", server_keys=root / "server-keys.json",
                   pixels=root / "cache" / "pixels", batches=root / "batches",
                   engine_cache=root / "cache" / "engine", window_lock=root / "window.lock",
                   window_address=root / "window.address",
                   window_state=root / "window.json")

    @classmethod
    def default(cls) -> DataPaths:
        """The layout under ``data_root()``."""
        return cls.at(data_root())

    def create(self) -> DataPaths:
        """Create the data directory and the folders the app writes into straight away; return self."""
        for folder in (self.root, self.attachments, self.logs):
            folder.mkdir(parents=True, exist_ok=True)
        return self
