"""Why an image cannot be used, by the ``reason_code`` of ``ImageError``, with the numbers it names."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from ..data_size import format_size
from .fill import Attributes, Sentence, fill, whole

_T = QCoreApplication



def _path_kind(v: Attributes) -> str:
    """What a path that is no regular file is (``PathKind.code`` and ``detail``), completing "it is ..."."""
    phrases = {
        "folder": _T.translate("EngineErrors", "a folder"),
        "pipe": _T.translate("EngineErrors", "a named pipe (FIFO)"),
        "device": _T.translate("EngineErrors", "a device"),
        "socket": _T.translate("EngineErrors", "a socket"),
        "not_regular": _T.translate("EngineErrors", "not a regular file"),
        "link_loop": _T.translate("EngineErrors", "a symbolic link that leads back to itself (a link loop)"),
        "broken_link": _T.translate("EngineErrors", "a symbolic link to %1, which does not exist"),
        "no_permission": _T.translate("EngineErrors", "not readable (permission denied)"),
        "unreadable": _T.translate("EngineErrors", "not readable (%1)"),
    }
    return fill(phrases[str(v["kind"])], v["detail"])


_REASONS: dict[str, Sentence] = {
    "missing": lambda v: _T.translate("EngineErrors", "the file does not exist."),
    "not_a_file": lambda v: fill(_T.translate("EngineErrors", "it is %1, not an image file."), _path_kind(v)),
    "not_a_file_any_more": lambda v: _T.translate(
        "EngineErrors", "it stopped being a regular file while it was being opened."),
    "too_large": lambda v: fill(_T.translate(
        "EngineErrors", "it is %1; images larger than %2 are not accepted. Scale it down or save it in a compressed "
        "format (JPEG, PNG)."), format_size(int(str(v["size"]))), format_size(int(str(v["max_bytes"])))),
    "unreadable": lambda v: fill(_T.translate("EngineErrors", "it cannot be read (%1)."), v["detail"]),
    "nothing_given": lambda v: _T.translate("EngineErrors", "no file or data was given."),
    "too_many_pixels": lambda v: fill(_T.translate(
        "EngineErrors", "it has %1×%2 pixels; the limit is %3 pixels. Scale it down first."),
        v["width"], v["height"], whole(v["max_pixels"])),
    "bomb": lambda v: fill(_T.translate(
        "EngineErrors", "it claims %1×%2 pixels in a file of only %3, so it is not safe to open."),
        v["width"], v["height"], format_size(int(str(v["size"])))),
    "over_pixel_limit": lambda v: fill(_T.translate(
        "EngineErrors", "it claims more than twice the limit of %1 pixels, so it is not safe to open."),
        whole(v["max_pixels"])),
    "empty": lambda v: _T.translate("EngineErrors", "the file is empty (0 bytes)."),
    "damaged_start": lambda v: _T.translate(
        "EngineErrors", "it starts like an image but is damaged or truncated; copy or download it again."),
    "unknown_format": lambda v: _T.translate(
        "EngineErrors", "it is not an image VisionDesk can read (PNG, JPEG, WebP, GIF, BMP, TIFF and similar work)."),
    "damaged": lambda v: fill(_T.translate("EngineErrors", "the file is damaged (%1)."), v["detail"]),
    "truncated": lambda v: fill(_T.translate("EngineErrors", "the file is truncated or damaged (%1)."), v["detail"]),
    "too_small": lambda v: fill(_T.translate(
        "EngineErrors", "it is only %1×%2 pixels; nothing can be seen in it."), v["width"], v["height"]),
    "out_of_memory": lambda v: _T.translate(
        "EngineErrors", "there is not enough memory to open it; close other programs or scale it down first."),
    "not_rgb": lambda v: _T.translate("EngineErrors", "its pixels could not be converted to RGB."),
    "changed": lambda v: _T.translate(
        "EngineErrors", "it changed while the answer was being prepared; send it again."),
}


def reason_text(a: Attributes) -> str:
    """The reason of an ``ImageError`` (its attributes ``a``) in the UI's language; ``KeyError`` if unknown."""
    values = a["reason_values"]
    if not isinstance(values, dict):
        raise KeyError("reason_values")
    return _REASONS[str(a["reason_code"])](values)
