"""Small line icons drawn with QPainter in a given colour.

No icon theme is needed, so they look the same on every desktop, and asking again after a theme switch gives
them in the new colours.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

SIZE = 32  # drawn at 2x and scaled down by Qt: crisp at 16 px
_cache: dict[tuple[str, str], QIcon] = {}


def _copy(p: QPainter) -> None:
    p.drawRoundedRect(QRectF(11, 11, 15, 17), 2, 2)
    p.drawPolyline([QPointF(7, 22), QPointF(6, 22), QPointF(6, 5), QPointF(20, 5), QPointF(20, 7)])


def _edit(p: QPainter) -> None:
    path = QPainterPath(QPointF(8, 24))
    for x, y in ((20, 8), (24, 12), (12, 28), (7, 29), (8, 24)):
        path.lineTo(x, y)
    p.drawPath(path)


def _regenerate(p: QPainter) -> None:
    p.drawArc(QRectF(7, 7, 18, 18), 60 * 16, 280 * 16)
    p.drawPolyline([QPointF(21, 4), QPointF(22, 9), QPointF(17, 10)])


def _plus(p: QPainter) -> None:
    p.drawLine(QPointF(16, 7), QPointF(16, 25))
    p.drawLine(QPointF(7, 16), QPointF(25, 16))


_SHAPES: dict[str, Callable[[QPainter], None]] = {"copy": _copy, "edit": _edit, "regenerate": _regenerate,
                                                  "new": _plus}


def icon(name: str, color: QColor) -> QIcon:
    """The icon ``name`` ("copy", "edit", "regenerate", "new") in ``color`` (made once per colour)."""
    key = (name, color.name())
    if key not in _cache:
        pixmap = QPixmap(SIZE, SIZE)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(color, 2.2)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        _SHAPES[name](painter)
        painter.end()
        _cache[key] = QIcon(pixmap)
    return _cache[key]
