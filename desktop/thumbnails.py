"""Thumbnails of stored attachments: decoded once, off the UI thread, at display size, then kept in memory.

A stored attachment never changes (its file is named by its contents), so a thumbnail is kept by path.
A long conversation shows the same pictures again and again (and scrolling back builds views again), so
most thumbnails come from memory at once; the rest are decoded together, in one background job per
message, because each job started costs the UI thread a hand-over of Python's lock to the pool thread.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QImageReader, QPixmap
from visiondesk.engine import ImageSource
from visiondesk.engine.errors import VisionDeskError
from visiondesk.engine.pdf_pages import is_pdf, pdf_pages

from .background import BackgroundJob

log = logging.getLogger(__name__)
KEPT = 300  # thumbnails kept in memory (120 px each: ~17 MB at most)


def load_scaled(path: Path, size: int) -> QImage:
    """Runs on a pool thread: decode an image at (about) ``size`` pixels on its long side (0: full size)."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    if size:
        full = reader.size()
        if full.isValid() and max(full.width(), full.height()) > size:
            reader.setScaledSize(full.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        raise OSError(f"cannot read {path}: {reader.errorString()}")
    return image


def first_page(path: Path) -> QImage:
    """Runs on a pool thread: a PDF's first page as an image (a null image for anything else)."""
    source = ImageSource(path=path)
    if not is_pdf(source):
        return QImage()
    try:
        return QImage.fromData(pdf_pages(source, 1).pages[0].data or b"")
    except VisionDeskError as exc:
        log.info("no preview of %s: %s", path, exc)
        return QImage()


class ThumbnailCache:
    """Thumbnails by attachment path, the least recently shown dropped past ``kept``."""

    def __init__(self, size: int, kept: int = KEPT) -> None:
        self.size, self.kept = size, kept
        self._pixmaps: OrderedDict[Path, QPixmap] = OrderedDict()
        self._waiting: dict[Path, list[Callable[[Path, QPixmap], None]]] = {}  # being decoded: who shows them
        self.decoded = 0  # images decoded so far (tests and the benchmark read it)

    def request(self, paths: list[Path], show: Callable[[Path, QPixmap], None]) -> None:
        """Call ``show(path, pixmap)`` for each path: now for those in memory, later for the others.

        A picture already being decoded (for another message made in the same turn) is not decoded twice.
        """
        missing = []
        for path in dict.fromkeys(paths):
            pixmap = self._pixmaps.get(path)
            if pixmap is not None:
                self._pixmaps.move_to_end(path)
                show(path, pixmap)
            elif path in self._waiting:
                self._waiting[path].append(show)
            else:
                self._waiting[path] = [show]
                missing.append(path)
        if not missing:
            return

        def decode() -> list[tuple[Path, QImage | None]]:
            out: list[tuple[Path, QImage | None]] = []
            for path in missing:
                try:
                    out.append((path, load_scaled(path, self.size)))
                except OSError as exc:  # one unreadable picture must not keep the others away
                    log.warning("thumbnail: %s", exc)
                    out.append((path, None))
            return out

        def decoded(images: list[tuple[Path, QImage | None]]) -> None:
            for path, image in images:
                waiting = self._waiting.pop(path, [])
                if image is None:
                    continue
                self.decoded += 1
                pixmap = QPixmap.fromImage(image)
                self._remember(path, pixmap)
                for shown in waiting:
                    shown(path, pixmap)

        def failed(exc: BaseException) -> None:
            log.warning("thumbnails: %s", exc)
            for path in missing:
                self._waiting.pop(path, None)

        BackgroundJob(op=decode, success=decoded, failure=failed).start()

    def _remember(self, path: Path, pixmap: QPixmap) -> None:
        self._pixmaps[path] = pixmap
        self._pixmaps.move_to_end(path)
        while len(self._pixmaps) > self.kept:
            self._pixmaps.popitem(last=False)
