r"""LaTeX formulas in answers, drawn on this computer: ziamath (pure Python, its own fonts) to SVG, QtSvg to an image.

Nothing is fetched: the fonts ship inside the ``ziamath``/``ziafont`` packages. A formula is drawn once per
(source, display, colour, size, device pixel ratio) and kept in a small cache. The math font has no Chinese:

- words it lacks at the formula's top level (``5\text{米}``) become text between its drawn pieces, in the
  window's own font, selectable like the rest of the answer;
- inside the formula (``\frac{\text{路程}}{\text{时间}}``, a subscript, bare ``面积 = 3``) each such word is laid out
  as a blank of its size in the window's font (a coloured MathML ``mspace``), and Qt then writes the word where
  ziamath put the blank, scaled as ziamath scaled it (a numerator, a subscript).

A formula ziamath cannot parse comes back as None, and the transcript shows its source instead: never empty boxes.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import xml.etree.ElementTree as ET
from pathlib import Path

import ziafont
import ziamath
from PySide6.QtCore import QByteArray, QPointF, QRectF
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer
from ziamath.tex import tex2mml

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


def split_text(latex: str) -> list[tuple[str, bool]]:
    """``latex`` cut at its top-level text commands whose words the math font lacks: ``[(piece, is_text)]``.

    Such words anywhere else (inside a group, or bare) stay in their piece, where cutting would change the formula.
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
    return [(piece, is_text) for piece, is_text in pieces if is_text or piece.strip()]


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


_MATHML = "{http://www.w3.org/1998/Math/MathML}"
_TOKENS = frozenset(f"{_MATHML}{tag}" for tag in ("mi", "mn", "mo", "mtext", "ms"))
_SVG = "{http://www.w3.org/2000/svg}"
STAND_IN = "#fe01"  # and two hex digits, the word's index: the fill of its blank, a colour no theme uses
MAX_STAND_INS = 256
# ziamath's em in pixels of its font size: 10.00002 pt per em of a 10 pt font, at its 1.333 px per pt.
ZIAMATH_EM = 10.00002 / 10 * 1.333
ET.register_namespace("", _SVG[1:-1])  # the SVG written back unprefixed, as QtSvg reads it


@dataclasses.dataclass(frozen=True)
class _Word:
    """A word the math font lacks, where ziamath put its blank (SVG units), scaled by ``scale`` from ``px``."""

    text: str
    x: float
    y: float  # the blank's top
    scale: float


def _mathml_with_blanks(source: str, display: bool, color: str, metrics: QFontMetricsF, px: int) -> \
        tuple[ET.Element, list[str]]:
    """The formula's MathML, each token the math font cannot draw replaced by a blank of its size; the words."""
    root = ET.fromstring(tex2mml(source, inline=not display))
    root.set("mathcolor", color)
    words: list[str] = []
    for element in root.iter():
        if element.tag not in _TOKENS or not element.text or _drawable(element.text):
            continue
        if len(words) == MAX_STAND_INS:
            raise ValueError("too many words the math font lacks")
        text = element.text
        element.attrib.clear()
        element.tag, element.text = f"{_MATHML}mspace", None
        em = px * ZIAMATH_EM  # the blank in ems, so that a subscript's or a numerator's shrinks as ziamath's glyphs
        element.attrib.update(width=f"{metrics.horizontalAdvance(text) / em:.4f}em",
                              height=f"{metrics.ascent() / em:.4f}em", depth=f"{metrics.descent() / em:.4f}em",
                              mathbackground=f"{STAND_IN}{len(words):02x}")
        words.append(text)
    return root, words


def _take_blanks(svg: str, words: list[str], metrics: QFontMetricsF) -> tuple[bytes, list[_Word]]:
    """The SVG without the blanks' fills, and where each word goes."""
    tree = ET.fromstring(svg)
    placed: list[_Word] = []
    for parent in list(tree.iter()):
        for rect in [c for c in parent if c.tag == f"{_SVG}rect" and c.get("fill", "").startswith(STAND_IN)]:
            parent.remove(rect)
            text = words[int(rect.get("fill", "")[len(STAND_IN):], 16)]
            height = float(rect.get("height", "0"))
            placed.append(_Word(text, float(rect.get("x", "0")), float(rect.get("y", "0")),
                                height / (metrics.ascent() + metrics.descent())))
    if len(placed) != len(words):
        raise ValueError(f"ziamath drew {len(placed)} of {len(words)} blanks")
    return ET.tostring(tree, encoding="utf-8"), placed


def _write_words(painter: QPainter, words: list[_Word], font: QFont, metrics: QFontMetricsF, color: str,
                 view: list[float], pixels_per_unit: float) -> None:
    """Write each word into its blank, in the image's pixels (``view``: the SVG's viewBox)."""
    painter.setPen(QColor(color))
    painter.setFont(font)
    for word in words:
        painter.save()
        painter.translate(QPointF((word.x - view[0]) * pixels_per_unit, (word.y - view[1]) * pixels_per_unit))
        painter.scale(word.scale * pixels_per_unit, word.scale * pixels_per_unit)
        painter.drawText(QPointF(0, metrics.ascent()), word.text)
        painter.restore()


@functools.lru_cache(maxsize=256)
def draw(latex: str, display: bool, color: str, px: int, dpr: float) -> Formula | None:
    """``latex`` at a font size of ``px`` logical pixels in ``color``, or None where it cannot be drawn faithfully."""
    source = latex.strip()
    if not source:
        return None
    font = QFont()
    font.setPixelSize(px)
    metrics = QFontMetricsF(font)
    try:
        root, words = _mathml_with_blanks(source, display, color, metrics, px)
        svg, placed = _take_blanks(ziamath.Math(root, size=px).svg(), words, metrics)
    except Exception as exc:  # ziamath's parser asserts on malformed input: show the source instead
        log.info("formula of %d characters not drawn (%s)", len(source), type(exc).__name__)  # no words of it
        return None
    renderer = QSvgRenderer(QByteArray(svg))
    size = renderer.defaultSize()
    if not renderer.isValid() or size.isEmpty():
        return None
    image = QImage(max(1, round(size.width() * dpr)), max(1, round(size.height() * dpr)),
                   QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor(0, 0, 0, 0))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, image.width(), image.height()))
    view = renderer.viewBoxF()
    _write_words(painter, placed, font, metrics, color, [view.x(), view.y()], image.width() / view.width())
    painter.end()
    image.setDevicePixelRatio(dpr)
    return Formula(formula_key(source, display, color, px, dpr), image, size.width(), size.height())
