"""The messages between VisionDesk and its PDF process, and how they travel (``pdf_process``, ``pdf_child``).

A request is answered by zero or more ``PageDrawn`` (one per page, as each is done) and then one ``Drawn``,
``Counted`` or ``Refused``. Each message is a pickle after its length (8 bytes, big-endian) on the child's
standard input or output: pipes every platform has, with nothing to connect. Reading unpickles these message
classes and plain values only, never anything else a pickle could name: the process that reads untrusted PDFs
cannot make the app run code by what it sends back.
"""

from __future__ import annotations

import dataclasses
import io
import pickle
import struct
from typing import IO

_LENGTH = struct.Struct(">Q")
MAX_MESSAGE = 1 << 30  # a length beyond this is no message of ours (a PDF sent as bytes, 8 pages as PNGs)


@dataclasses.dataclass(frozen=True)
class Source:
    """The PDF: a file the process opens itself, or its bytes; ``name`` is what pages and messages call it."""

    name: str
    path: str | None = None
    data: bytes | None = None


@dataclasses.dataclass(frozen=True)
class DrawPages:
    """Draw ``pages`` (numbered from 1; None: all), at most ``max_pages`` of them."""

    source: Source
    max_pages: int
    pages: tuple[int, ...] | None = None


@dataclasses.dataclass(frozen=True)
class CountPages:
    """Say how many pages the document has."""

    source: Source


@dataclasses.dataclass(frozen=True)
class PageDrawn:
    """One page, as a PNG."""

    number: int
    png: bytes


@dataclasses.dataclass(frozen=True)
class Drawn:
    """The pages are all sent; the document has ``total``, ``asked`` were asked for."""

    total: int
    asked: int


@dataclasses.dataclass(frozen=True)
class Counted:
    """The document has ``total`` pages."""

    total: int


@dataclasses.dataclass(frozen=True)
class Refused:
    """The document cannot be drawn.

    ``reason`` is a ``PdfUnreadable`` reason code, or "range": pages asked for that it lacks (``total`` then says
    how many it has).
    """

    reason: str
    detail: str = ""
    total: int = 0


Request = DrawPages | CountPages
Reply = PageDrawn | Drawn | Counted | Refused


def write(stream: IO[bytes], message: Request | Reply) -> None:
    """Send one message."""
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(body)) + body)
    stream.flush()


def read(stream: IO[bytes]) -> Request | Reply | None:
    """The next message; None when the other side closed the pipe (or died) before a whole one came."""
    head = _read_exactly(stream, _LENGTH.size)
    if head is None:
        return None
    length = _LENGTH.unpack(head)[0]
    if length > MAX_MESSAGE:
        raise ValueError(f"a message of {length} bytes is no message of the PDF process")
    body = _read_exactly(stream, length)
    if body is None:
        return None
    message = _MessageUnpickler(io.BytesIO(body)).load()
    if not isinstance(message, _MESSAGES):
        raise ValueError(f"not a PDF process message: {type(message).__name__}")
    return message


_MESSAGES = (DrawPages, CountPages, PageDrawn, Drawn, Counted, Refused)


class _MessageUnpickler(pickle.Unpickler):
    """Builds the message classes above and nothing else a pickle may name."""

    def find_class(self, module: str, name: str) -> type:
        for cls in (Source, *_MESSAGES):
            if module == cls.__module__ and name == cls.__qualname__:
                return cls
        raise pickle.UnpicklingError(f"{module}.{name} is not a PDF process message")


def _read_exactly(stream: IO[bytes], n: int) -> bytes | None:
    parts, left = [], n
    while left:
        piece = stream.read(left)
        if not piece:
            return None
        parts.append(piece)
        left -= len(piece)
    return b"".join(parts)
