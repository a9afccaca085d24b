from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Iterator
from pathlib import Path

import platformdirs
import pytest
from visiondesk.core.logging_setup import setup_logging
from visiondesk.core.paths import DataPaths


def test_env_override_creates_dirs(_isolated_data_dir: Path) -> None:
    assert not _isolated_data_dir.exists()
    paths = DataPaths.default().create()
    assert paths.root == _isolated_data_dir and _isolated_data_dir.is_dir()
    assert paths.attachments.is_dir() and paths.attachments.parent == _isolated_data_dir
    assert paths.logs.is_dir() and paths.logs.parent == _isolated_data_dir
    assert paths.conversations_db.parent == _isolated_data_dir and not paths.conversations_db.exists()


def test_platformdirs_used_without_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[tuple[str, object]] = []

    def fake_user_data_dir(appname: str, appauthor: object = None) -> str:
        calls.append((appname, appauthor))
        return str(tmp_path / "platform" / appname)

    monkeypatch.delenv("VISIONDESK_DATA_DIR")
    monkeypatch.setattr(platformdirs, "user_data_dir", fake_user_data_dir)
    paths = DataPaths.default()
    assert paths.root == tmp_path / "platform" / "VisionDesk"
    assert calls == [("VisionDesk", False)]
    # The model manager and the engine's logs use the same folder (one rule, in core.paths).
    assert paths.models.parent == paths.model_registry.parent == paths.logs.parent == paths.root


@pytest.fixture
def clean_root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logging.captureWarnings(False)


def _ours(root: logging.Logger) -> list[logging.handlers.RotatingFileHandler]:
    return [h for h in root.handlers if isinstance(h, logging.handlers.RotatingFileHandler)]


def test_setup_logging_is_idempotent_and_writes(clean_root_logger: logging.Logger, tmp_path: Path) -> None:
    setup_logging(tmp_path / "logs")
    setup_logging(tmp_path / "logs", level=logging.DEBUG)
    (handler,) = _ours(clean_root_logger)
    assert handler.maxBytes == 2 * 1024 * 1024 and handler.backupCount == 5
    assert clean_root_logger.level == logging.DEBUG
    logging.getLogger("visiondesk.test").debug("hello from the test")
    handler.flush()
    assert "hello from the test" in (tmp_path / "logs" / "visiondesk.log").read_text(encoding="utf-8")


def test_setup_logging_moves_to_new_dir(clean_root_logger: logging.Logger, tmp_path: Path) -> None:
    setup_logging(tmp_path / "a")
    setup_logging(tmp_path / "b")
    (handler,) = _ours(clean_root_logger)
    assert Path(handler.baseFilename) == (tmp_path / "b" / "visiondesk.log").resolve()
