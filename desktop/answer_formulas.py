"""An answer's formulas in the transcript: the drawer loaded off the UI thread, and the one the renderer calls.

``math_render`` (ziamath and its fonts) takes ~0.15 s to load; it is loaded on the pool as soon as an answer may
hold a formula, and imported only inside the drawer, so the window starts without it.
"""

from __future__ import annotations

import importlib
import logging

from PySide6.QtGui import QImage, QPalette

from .background import BackgroundJob
from .markdown_render import MathDrawer
from .views.message_view import SafeBrowser

log = logging.getLogger(__name__)

MATH_OPENERS = ("$", "\\(", "\\[")  # what a formula starts with in an answer
_math_warming = False


def warm_formulas(text: str) -> None:
    """Load the formula drawer on the pool once a formula may begin to stream in, ready when it closes.

    Its first load takes ~0.15 s; on the UI thread it would stall the answer that long.
    """
    global _math_warming
    if _math_warming or not any(opener in text for opener in MATH_OPENERS):
        return
    _math_warming = True
    BackgroundJob(op=lambda: importlib.import_module("visiondesk.desktop.math_render"),
                  success=lambda _module: None,
                  failure=lambda exc: log.warning("the formula drawer did not load: %s", exc)).start()


def formula_drawer(body: SafeBrowser, into: dict[str, QImage]) -> MathDrawer:
    """Draws an answer's formulas in ``body``'s text colour and size, keeping the images in ``into`` by URL."""
    color = body.palette().color(QPalette.ColorRole.Text).name()
    px = body.fontInfo().pixelSize()
    dpr = body.devicePixelRatioF()

    def draw(latex: str, display: bool) -> list[tuple[str, int, int] | str] | None:
        try:
            from .math_render import Formula, draw_pieces  # ziamath loads its fonts (~0.15 s): at the first formula

            pieces = draw_pieces(latex, display, color, round(px * (1.3 if display else 1.15)), dpr)
        except Exception:  # a broken install (fonts missing): the answer shows the formula's source, and goes on
            log.exception("cannot draw formulas")
            return None
        if pieces is None:
            return None
        out: list[tuple[str, int, int] | str] = []
        for piece in pieces:
            if isinstance(piece, Formula):
                into[piece.key] = piece.image
                out.append((piece.key, piece.width, piece.height))
            else:
                out.append(piece)
        return out
    return draw
