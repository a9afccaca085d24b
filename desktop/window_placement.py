"""Where the window was: its size, position, maximised state and the sidebar's width, kept across restarts.

View state, not a setting: ``DataPaths.window_state`` holds Qt's own descriptions (``saveGeometry``,
``QSplitter.saveState``) as JSON, written atomically when the window closes. A missing or damaged file gives the
default layout. Where the screen changed much since (another monitor, another resolution), Qt refuses the old
geometry and the window opens at its default size; the sidebar keeps its width.
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

from PySide6.QtCore import QByteArray
from visiondesk.core.store_files import write_atomically

from .views.main_window import MainWindow

log = logging.getLogger(__name__)


def save(window: MainWindow, path: Path) -> None:
    """Write where ``window`` is now (never raises: a layout not kept costs nothing but the layout)."""
    state = {"geometry": _text(window.saveGeometry()), "splitter": _text(window.splitter.saveState())}
    try:
        write_atomically(path, json.dumps(state).encode())
    except OSError as exc:
        log.warning("the window's size and place were not kept: %s", exc)


def restore(window: MainWindow, path: Path) -> bool:
    """Put ``window`` where it was when it last closed; False when its size and place were not (the default)."""
    try:
        state = json.loads(path.read_bytes())
        geometry, splitter = (QByteArray(base64.b64decode(state[k], validate=True)) for k in ("geometry", "splitter"))
    except FileNotFoundError:
        return False
    except (OSError, ValueError, KeyError, TypeError) as exc:  # binascii.Error is a ValueError
        log.warning("the window's kept size and place are unreadable (%s); the default layout is used", exc)
        return False
    window.splitter.restoreState(splitter)
    if not window.restoreGeometry(geometry):
        log.info("the window's kept size and place do not fit this screen; the default size is used")
        return False
    return True


def _text(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode()
