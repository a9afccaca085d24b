"""The PDF process: PDFium (through pypdfium2) draws pages here, never in the app's own process.

PDFium is native code reading whatever file a user drops, and it is not thread-safe: run here, one request
at a time, a document that crashes it or makes it spin ends this process, which the app restarts for the
next PDF, and the window, its conversation and the question being typed stay (``pdf_process``).

``python -m visiondesk.engine.pdf_child PARENT_PID`` (a frozen app: ``visiondesk --visiondesk-pdf-child
PARENT_PID``) serves the requests of ``pdf_protocol`` on its standard input until it closes, and ends with its
parent even in the middle of a page (``parent_watch``).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from typing import IO, Any

from . import pdf_protocol as wire

PAGE_DPI = 200  # the resolution pages are drawn at (engine.pdf_pages says why)
PAGE_LONG_SIDE = 2048


class _Refusal(Exception):
    def __init__(self, reply: wire.Refused) -> None:
        super().__init__(reply)
        self.reply = reply


def _open(source: wire.Source) -> Any:
    import pypdfium2

    try:
        return pypdfium2.PdfDocument(source.data if source.data is not None else source.path)
    except pypdfium2.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        reason = ("password" if code == pypdfium2.raw.FPDF_ERR_PASSWORD or "password" in str(exc).lower()
                  else "unopenable" if code == pypdfium2.raw.FPDF_ERR_FILE else "damaged")
        raise _Refusal(wire.Refused(reason, str(exc))) from None


def count(request: wire.CountPages) -> wire.Counted:
    """How many pages the document has."""
    doc = _open(request.source)
    try:
        return wire.Counted(len(doc))
    finally:
        doc.close()


def draw(request: wire.DrawPages) -> Iterator[wire.PageDrawn | wire.Drawn]:
    """Each page asked for as a PNG at up to ``PAGE_DPI`` and ``PAGE_LONG_SIDE`` pixels, then the totals."""
    import pypdfium2

    doc = _open(request.source)
    try:
        total = len(doc)
        if total == 0:
            raise _Refusal(wire.Refused("no_pages"))
        wanted = list(request.pages) if request.pages is not None else list(range(1, total + 1))
        if not wanted or max(wanted) > total or min(wanted) < 1:
            raise _Refusal(wire.Refused("range", ",".join(map(str, wanted)), total))
        for number in wanted[:max(request.max_pages, 1)]:
            page = doc[number - 1]
            try:
                width, height = page.get_size()  # points (1/72 inch)
                scale = min(PAGE_DPI / 72, PAGE_LONG_SIDE / max(width, height, 1.0))
                bitmap = page.render(scale=scale)
                try:
                    image = bitmap.to_pil().convert("RGB")  # a copy: the bitmap's memory goes with it
                finally:
                    bitmap.close()
            except pypdfium2.PdfiumError as exc:
                raise _Refusal(wire.Refused("damaged", f"page {number}: {exc}")) from None
            finally:
                page.close()
            buffer = io.BytesIO()
            image.save(buffer, "PNG")
            yield wire.PageDrawn(number, buffer.getvalue())
        yield wire.Drawn(total, len(wanted))
    finally:
        doc.close()


def serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    """Answer requests until the parent closes the pipe."""
    while True:
        request = wire.read(requests)
        if request is None:
            return
        try:
            if isinstance(request, wire.CountPages):
                wire.write(replies, count(request))
            elif isinstance(request, wire.DrawPages):
                for reply in draw(request):
                    wire.write(replies, reply)
            else:
                raise TypeError(f"not a request: {request!r}")
        except _Refusal as refusal:
            wire.write(replies, refusal.reply)
        except OSError as exc:  # gone, or not readable, since the caller looked
            wire.write(replies, wire.Refused("unopenable", f"{type(exc).__name__}: {exc}"))


def main(argv: list[str]) -> int:
    """Serve on standard input and output; anything native code prints goes to standard error instead."""
    from .parent_watch import exit_with_parent

    exit_with_parent(int(argv[0]), death_signal=False)  # started from any of the parent's threads
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    serve(sys.stdin.buffer, replies)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
