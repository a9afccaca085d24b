"""What the composer holds, and how a given file becomes it (on a pool thread).

An attached image with its strip thumbnail (``ComposerImage``), what one file gave (``Attached``: an image or a
PDF's pages), a PDF cut to its first pages (``CutDocument``), a conversation's draft (``Draft``), a paste not
encoded yet (``PastedImage``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from PySide6.QtCore import QBuffer, QIODevice, Qt
from PySide6.QtGui import QImage
from visiondesk.engine import ImageSource
from visiondesk.engine.images import PreparedImage
from visiondesk.engine.pdf_pages import MAX_PAGES, is_pdf, pdf_pages
from visiondesk.engine.requests import ImageAttachment

from ..views.composer import THUMB, ThumbnailChip

Attach = Callable[[ImageSource], tuple[ImageAttachment, PreparedImage]]
"""Reads, checks, decodes and stores one image; raises ``ImageError`` (or ``OSError``) with the reason."""
Release = Callable[[list[ImageAttachment]], None]
"""Says that stored images the composer held will not be sent from it (the store may then purge them)."""


@dataclasses.dataclass
class ComposerImage:
    """An attached image in the composer's strip, identified and stored, waiting to be sent."""

    attachment: ImageAttachment
    thumbnail: QImage
    chip: ThumbnailChip | None = None
    order: float = 0  # images join the strip in the order they were given, not as checks finish (a PDF's
    # pages: its order plus a fraction each)

    @property
    def name(self) -> str:
        """Display name."""
        return self.attachment.name


def thumbnail_of(prepared: PreparedImage) -> QImage:
    """The strip's thumbnail from the prepared pixels (QImage, safe off the UI thread)."""
    w, h = prepared.width, prepared.height
    full = QImage(prepared.rgb, w, h, 3 * w, QImage.Format.Format_RGB888)
    return full.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                       Qt.TransformationMode.SmoothTransformation).copy()


def attach_with_thumbnail(attach: Attach, source: ImageSource) -> ComposerImage:
    """Runs on a pool thread: attach (check, decode once, store) and make the thumbnail."""
    attachment, prepared = attach(source)
    return ComposerImage(attachment, thumbnail_of(prepared))


@dataclasses.dataclass(frozen=True)
class Attached:
    """What one given file became: one image, or a PDF's pages (``asked``: the pages it was to give)."""

    items: list[ComposerImage]
    asked: int = 1
    total: int = 1  # pages the document has
    name: str = ""


def attach_file(attach: Attach, source: ImageSource, pages: list[int] | None = None) -> Attached:
    """Runs on a pool thread: an image, or each page of a PDF (``pages``, else the first), with its thumbnail."""
    if not is_pdf(source):
        return Attached([attach_with_thumbnail(attach, source)])
    drawn = pdf_pages(source, MAX_PAGES, pages)
    name = source.path.name if source.path is not None else source.name
    return Attached([attach_with_thumbnail(attach, page) for page in drawn.pages], drawn.asked, drawn.total, name)


@dataclasses.dataclass(frozen=True)
class CutDocument:
    """A PDF that gave fewer pages than it has: where its pages sit in the strip, to choose others."""

    source: ImageSource
    order: int
    total: int
    name: str


def sources_of(source: ImageSource) -> list[ImageSource]:
    """What ``source`` sends as: itself, or a PDF's pages (drawn here: Send came before its check finished)."""
    return list(pdf_pages(source, MAX_PAGES).pages) if is_pdf(source) else [source]


@dataclasses.dataclass(frozen=True)
class Draft:
    """What was typed and attached in a conversation, kept while another one is open."""

    text: str
    images: tuple[ComposerImage, ...]  # checked and stored, with their thumbnails
    given: tuple[ImageSource, ...]  # given but not checked yet (a file, a PDF, a paste as PNG)


@dataclasses.dataclass(frozen=True)
class PastedImage:
    """Pasted pixels not yet encoded (encoding a large paste takes a while: it happens off the UI thread)."""

    image: QImage
    name: str


def encode_png(image: QImage, name: str) -> ImageSource:
    """Pasted pixels → PNG bytes the store and the engine accept (a pool thread, or Send before the check)."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return ImageSource(data=bytes(buffer.data().data()), name=name)
