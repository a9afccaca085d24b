"""Where the window was: its size, position, maximised state and the sidebar's width, kept across restarts.

View state, not a setting: ``DataPaths.window_state`` holds Qt's own descriptions (``saveGeometry``,
``QSplitter.saveState``) as JSON, written atomically when the window closes. A missing or damaged file gives the
default layout. Qt puts a window whose screen has gone since back on a screen that is there.
"""

from __future__ import annotations

import base64
import binascii
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
    """Put ``window`` where it was when it last closed; False (the default layout) when nothing usable is kept."""
    try:
        state = json.loads(path.read_bytes())
        geometry, splitter = (QByteArray(base64.b64decode(state[k], validate=True)) for k in ("geometry", "splitter"))
    except FileNotFoundError:
        return False
    except (OSError, ValueError, KeyError, TypeError, binascii.Error) as exc:
        log.warning("the window's kept size and place are unreadable (%s); the default layout is used", exc)
        return False
    if not window.restoreGeometry(geometry):
        log.warning("the window's kept size and place were not accepted; the default layout is used")
        return False
    window.splitter.restoreState(splitter)
    return True


def _text(data: QByteArray) -> str:
    return base64.b64encode(bytes(data.data())).decode()
