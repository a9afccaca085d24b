r"""LaTeX formulas in answers, drawn on this computer: ziamath (pure Python, its own fonts) to SVG, QtSvg to an image.

Nothing is fetched: the fonts ship inside the ``ziamath``/``ziafont`` packages. A formula is drawn once per
(source, display, colour, size, device pixel ratio) and kept in a small cache. Words the math font lacks
(Chinese units and names in ``\text{米}``) at the formula's top level become text between its drawn pieces, in the
window's own font. A formula that cannot be drawn faithfully — ziamath cannot parse it, or such words sit inside
a group (a fraction's numerator) — comes back as None, and the transcript shows its source instead: never
empty boxes.
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


TEXT_COMMANDS = ("\\text{", "\\textrm{", "\\mbox{", "\\mathrm{")


def _group_end(latex: str, start: int) -> int:
    """The index of the brace closing the group opened just before ``start`` (len(latex) if none)."""
    depth = 1
    i = start
    while i < len(latex):
        ch = latex[i]
        if ch == "\\":
            i += 2
            continue
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0:
            return i
        i += 1
    return len(latex)


def split_text(latex: str) -> list[tuple[str, bool]] | None:
    """``latex`` cut at its top-level text commands whose words the math font lacks: ``[(piece, is_text)]``.

    None where such characters sit anywhere else (inside a group, or bare), where cutting would change the
    formula.
    """
    pieces: list[tuple[str, bool]] = []
    depth, i, start = 0, 0, 0
    while i < len(latex):
        if depth == 0 and latex.startswith(TEXT_COMMANDS, i):
            opened = latex.index("{", i) + 1
            end = _group_end(latex, opened)
            words = latex[opened:end]
            if not _drawable(words):
                pieces += [(latex[start:i], False), (words, True)]
                start = end + 1
            i = end + 1
            continue
        ch = latex[i]
        if ch == "\\":
            i += 2
            continue
        depth += (ch == "{") - (ch == "}")
        i += 1
    pieces.append((latex[start:], False))
    pieces = [(piece, is_text) for piece, is_text in pieces if is_text or piece.strip()]
    return pieces if all(is_text or _drawable(piece) for piece, is_text in pieces) else None


def draw_pieces(latex: str, display: bool, color: str, px: int, dpr: float) -> list[Formula | str] | None:
    """``latex`` drawn, with the words the math font lacks as text between its pieces; None: show the source."""
    pieces = split_text(latex.strip())
    if not pieces:
        return None
    out: list[Formula | str] = []
    for piece, is_text in pieces:
        if is_text:
            out.append(piece)
            continue
        formula = draw(piece, display, color, px, dpr)
        if formula is None:
            return None
        out.append(formula)
    return out


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
