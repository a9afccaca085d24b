r"""LaTeX formulas in answers, drawn on this computer: ziamath (pure Python, its own fonts) to SVG, QtSvg to an image.

Nothing is fetched: the fonts ship inside the ``ziamath``/``ziafont`` packages. A formula is drawn once per
(source, display, colour, size, device pixel ratio) and kept in a small cache. One that cannot be drawn
faithfully — ziamath cannot parse it, or it has characters the math font lacks (Chinese inside ``\text{}``) —
comes back as None, and the transcript shows its source instead: never empty boxes.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
from pathlib import Path

import ziafont
import ziamath
from PySide6.QtCore import QByteArray, QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from .markdown_render import MATH_SCHEME

log = logging.getLogger(__name__)

# QtSvg draws SVG Tiny 1.2, which has no <symbol>: ziamath's SVG 2 output would draw as blank rules.
ziamath.config.svg2 = False
_FONT = ziafont.Font(str(Path(ziamath.__file__).parent / "fonts" / "STIXTwoMath-Regular.ttf"))


@dataclasses.dataclass(frozen=True)
class Formula:
    """A drawn formula: the image (device pixels) and its size on screen (logical pixels)."""

    key: str
    image: QImage
    width: int
    height: int


def formula_key(latex: str, display: bool, color: str, px: int, dpr: float) -> str:
    """The resource name of a drawing: the same inputs, the same name."""
    digest = hashlib.sha1(f"{display}\0{color}\0{px}\0{dpr}\0{latex}".encode()).hexdigest()[:20]
    return f"{MATH_SCHEME}:{digest}"


def _drawable(latex: str) -> bool:
    """Every character outside ASCII has a glyph in the math font (0 is the font's "missing" glyph)."""
    return all(ord(ch) < 128 or _FONT.glyphindex(ch) != 0 for ch in latex)


@functools.lru_cache(maxsize=256)
def draw(latex: str, display: bool, color: str, px: int, dpr: float) -> Formula | None:
    """``latex`` at a font size of ``px`` logical pixels in ``color``, or None where it cannot be drawn faithfully."""
    source = latex.strip()
    if not source or not _drawable(source):
        return None
    try:
        svg = ziamath.Latex(source, size=px, color=color, inline=not display).svg()
    except Exception as exc:  # ziamath's parser asserts on malformed input: show the source instead
        log.info("formula not drawn (%s): %.80s", type(exc).__name__, source)
        return None
    renderer = QSvgRenderer(QByteArray(svg.encode()))
    size = renderer.defaultSize()
    if not renderer.isValid() or size.isEmpty():
        return None
    image = QImage(max(1, round(size.width() * dpr)), max(1, round(size.height() * dpr)),
                   QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor(0, 0, 0, 0))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, image.width(), image.height()))
    painter.end()
    image.setDevicePixelRatio(dpr)
    return Formula(formula_key(source, display, color, px, dpr), image, size.width(), size.height())
