"""A PDF's pages as images: how a vision model reads a receipt, an invoice or a worksheet that came as a PDF.

Each page is drawn on this computer (PDFium, through pypdfium2) into a PNG the rest of VisionDesk takes like
any attached image: stored, identified, encoded. Pages are drawn at up to ``PAGE_DPI`` and at most
``PAGE_LONG_SIDE`` pixels on their long side, more than any projector reads, so that small print survives
the projector's own downscale. A long document gives its first ``max_pages`` pages; the caller says so.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import os
import stat
import threading
from pathlib import Path
from typing import Any, ClassVar

from .errors import InputError
from .requests import ImageSource

log = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
PAGE_DPI = 200
PAGE_LONG_SIDE = 2048
MAX_PAGES = 8  # a chat message: models answer about a handful of images far better than about dozens
# PDFium is not thread-safe (pypdfium2 says so): one document at a time in this process, whichever thread asks
# (the composer's checks, the batch page's previews, the API's requests run on different threads).
_PDFIUM = threading.Lock()


class PdfUnreadable(InputError):
    """A PDF whose pages cannot be drawn: protected by a password, damaged, or without pages."""

    code: ClassVar[str] = "pdf_unreadable"
    REASONS: ClassVar[dict[str, str]] = {
        "password": "it is protected by a password. Open it in a PDF viewer, save or print a copy without the "
                    "password, and attach that",
        "damaged": "it is damaged or not a complete PDF. Download or export it again",
        "no_pages": "it has no pages",
    }

    def __init__(self, name: str, reason_code: str, detail: str = "") -> None:
        self.name, self.reason_code, self.detail = name, reason_code, detail
        super().__init__(f"Cannot read the PDF {name}: {self.REASONS[reason_code]}."
                         + (f" (PDFium: {detail})" if detail else ""))


class PageRangeInvalid(InputError):
    """Pages asked for that are no page range of the document ("3-5, 9" is one)."""

    code: ClassVar[str] = "page_range_invalid"

    def __init__(self, text: str, total: int) -> None:
        self.text, self.total = text, total
        super().__init__(f"“{text}” is not a page range of this {total}-page PDF: write pages as 3-5, 9.")


def page_numbers(text: str, total: int) -> list[int]:
    """The pages ``text`` names, in order, each once ("3-5, 9" → [3, 4, 5, 9]); ``PageRangeInvalid`` otherwise."""
    pages: list[int] = []
    for part in text.replace("，", ",").split(","):
        ends = [end.strip() for end in part.replace("–", "-").split("-")]
        if not part.strip() or len(ends) > 2 or not all(end.isdigit() for end in ends):
            raise PageRangeInvalid(text, total)
        first, last = int(ends[0]), int(ends[-1])
        if not 1 <= first <= last <= total:
            raise PageRangeInvalid(text, total)
        pages += [n for n in range(first, last + 1) if n not in pages]
    return pages


@dataclasses.dataclass(frozen=True)
class PdfPages:
    """The pages drawn, and how many the document has."""

    pages: tuple[ImageSource, ...]
    total: int  # pages the document has
    asked: int  # pages asked for (all of them, unless a range was given)

    @property
    def cut(self) -> bool:
        """Fewer pages were drawn than were asked for."""
        return len(self.pages) < self.asked


def is_pdf(source: ImageSource) -> bool:
    """The bytes start as a PDF does (the name's suffix is not trusted either way)."""
    if source.data is not None:
        return source.data[:5] == PDF_MAGIC
    if source.path is None:
        return False
    try:  # a regular file only, opened without blocking: a named pipe or a device is never waited on here
        if not stat.S_ISREG(source.path.stat().st_mode):
            return False
        fd = os.open(source.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            return os.read(fd, 5) == PDF_MAGIC
        finally:
            os.close(fd)
    except OSError:
        return False  # the image check that follows says what it is


def _name(source: ImageSource) -> str:
    return source.path.name if source.path is not None else source.name or "document.pdf"


def _open(source: ImageSource) -> Any:
    """The PDFium document of ``source`` (``PdfUnreadable`` when it cannot be opened)."""
    import pypdfium2  # PDFium's library loads only when a PDF is given (~30 ms)

    try:
        return pypdfium2.PdfDocument(source.data if source.data is not None else source.path)
    except pypdfium2.PdfiumError as exc:
        reason = "password" if "password" in str(exc).lower() else "damaged"
        raise PdfUnreadable(_name(source), reason, str(exc)) from None


def page_count(source: ImageSource) -> int:
    """How many pages the PDF ``source`` has (nothing drawn)."""
    with _PDFIUM:
        doc = _open(source)
        try:
            return len(doc)
        finally:
            doc.close()


def pdf_pages(source: ImageSource, max_pages: int = MAX_PAGES, pages: list[int] | None = None) -> PdfPages:
    """Draw pages of the PDF ``source`` as PNG images named "<file> p.<n>.png".

    The first ``max_pages`` pages, or the first ``max_pages`` of ``pages`` (numbered from 1;
    ``PageRangeInvalid`` for one the document lacks).
    """
    with _PDFIUM:
        return _draw(source, max_pages, pages)


def _draw(source: ImageSource, max_pages: int, pages: list[int] | None) -> PdfPages:
    import pypdfium2

    name = _name(source)
    doc = _open(source)
    try:
        total = len(doc)
        if total == 0:
            raise PdfUnreadable(name, "no_pages")
        wanted = pages if pages is not None else list(range(1, total + 1))
        if not wanted or max(wanted) > total or min(wanted) < 1:
            raise PageRangeInvalid(",".join(map(str, wanted)), total)
        stem = Path(name).stem
        drawn = []
        for number in wanted[:max(max_pages, 1)]:
            index = number - 1
            page = doc[index]
            try:
                width, height = page.get_size()  # points (1/72 inch)
                scale = min(PAGE_DPI / 72, PAGE_LONG_SIDE / max(width, height, 1.0))
                bitmap = page.render(scale=scale)
                try:  # closed here, under the lock, not by a finalizer on whatever thread collects it
                    image = bitmap.to_pil().convert("RGB")  # a copy: the bitmap's memory goes with it
                finally:
                    bitmap.close()
            except pypdfium2.PdfiumError as exc:
                raise PdfUnreadable(name, "damaged", f"page {index + 1}: {exc}") from None
            finally:
                page.close()
            buffer = io.BytesIO()
            image.save(buffer, "PNG")
            drawn.append(ImageSource(data=buffer.getvalue(), name=f"{stem} p.{number}.png"))
    finally:
        doc.close()
    log.info("drew %d of %d pages of %s", len(drawn), total, name)
    return PdfPages(tuple(drawn), total, len(wanted))
