"""Route all logging to a rotating file in the app's log folder."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_FILE_NAME = "visiondesk.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUP_COUNT = 5
_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"

# Marks the handler we installed so a second call can find it instead of adding another.
_HANDLER_ATTR = "_visiondesk_file_handler"


def setup_logging(log_dir: Path, level: int = logging.INFO) -> None:
    """Attach a rotating file handler (``visiondesk.log``, 2 MB x 5) to the root logger.

    Idempotent: calling it again only updates the level, or, if ``log_dir`` changed, swaps the
    handler for one writing to the new folder.
    """
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    target = (log_dir / LOG_FILE_NAME).resolve()
    root = logging.getLogger()
    root.setLevel(level)

    for handler in list(root.handlers):
        if not getattr(handler, _HANDLER_ATTR, False):
            continue
        if isinstance(handler, logging.FileHandler) and Path(handler.baseFilename) == target:
            handler.setLevel(level)
            return
        root.removeHandler(handler)
        handler.close()

    handler = logging.handlers.RotatingFileHandler(
        target, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8", delay=True
    )
    setattr(handler, _HANDLER_ATTR, True)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    logging.captureWarnings(True)
    logging.getLogger(__name__).debug("logging to %s", target)
