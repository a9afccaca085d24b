"""A PDF's pages as images: how a vision model reads a receipt, an invoice or a worksheet that came as a PDF.

Each page is drawn on this computer into a PNG the rest of VisionDesk takes like any attached image: stored,
identified, encoded. PDFium draws them in a process of its own (``pdf_child``, held by ``pdf_process``), at
200 dpi and at most 2048 pixels on their long side, more than any projector reads, so that small print
survives the projector's own downscale. A long document gives its first ``max_pages``
pages; the caller says so.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import stat
from pathlib import Path
from typing import ClassVar

from . import pdf_protocol as wire
from .errors import InputError
from .pdf_process import PdfProcessFailed, pdf_process
from .requests import ImageSource

log = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
MAX_PAGES = 8  # a chat message: models answer about a handful of images far better than about dozens


class PdfUnreadable(InputError):
    """A PDF whose pages cannot be drawn: protected by a password, damaged, or without pages."""

    code: ClassVar[str] = "pdf_unreadable"
    REASONS: ClassVar[dict[str, str]] = {
        "password": "it is protected by a password. Open it in a PDF viewer, save or print a copy without the "
                    "password, and attach that",
        "damaged": "it is damaged or not a complete PDF. Download or export it again",
        "no_pages": "it has no pages",
        "unopenable": "the file could not be opened. Check that it is still there and that you may read it",
        "crashed": "the PDF reader stopped while drawing it, which a damaged file can cause. Open it in a PDF "
                   "viewer, print it to a new PDF, and attach that",
        "stuck": "drawing its pages took over a minute and was stopped. Open it in a PDF viewer, print the pages "
                 "you need to a new PDF, and attach that",
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


def _ask(source: ImageSource, request: wire.Request) -> list[wire.Reply]:
    """The PDF process's replies; its refusals and failures raised as this module's errors."""
    try:
        replies = pdf_process().ask(request)
    except PdfProcessFailed as exc:
        raise PdfUnreadable(_name(source), exc.reason) from None
    last = replies[-1]
    if isinstance(last, wire.Refused):
        if last.reason == "range":
            raise PageRangeInvalid(last.detail, last.total)
        raise PdfUnreadable(_name(source), last.reason, last.detail)
    return replies


def _wire_source(source: ImageSource) -> wire.Source:
    return wire.Source(_name(source), str(source.path) if source.data is None and source.path is not None else None,
                       source.data)


def page_count(source: ImageSource) -> int:
    """How many pages the PDF ``source`` has (nothing drawn)."""
    last = _ask(source, wire.CountPages(_wire_source(source)))[-1]
    assert isinstance(last, wire.Counted)
    return last.total


def pdf_pages(source: ImageSource, max_pages: int = MAX_PAGES, pages: list[int] | None = None) -> PdfPages:
    """Draw pages of the PDF ``source`` as PNG images named "<file> p.<n>.png".

    The first ``max_pages`` pages, or the first ``max_pages`` of ``pages`` (numbered from 1;
    ``PageRangeInvalid`` for one the document lacks).
    """
    name = _name(source)
    request = wire.DrawPages(_wire_source(source), max_pages, tuple(pages) if pages is not None else None)
    replies = _ask(source, request)
    stem = Path(name).stem
    drawn = tuple(ImageSource(data=r.png, name=f"{stem} p.{r.number}.png") for r in replies
                  if isinstance(r, wire.PageDrawn))
    last = replies[-1]
    assert isinstance(last, wire.Drawn)
    log.info("drew %d of %d pages of %s", len(drawn), last.total, name)
    return PdfPages(drawn, last.total, last.asked)
