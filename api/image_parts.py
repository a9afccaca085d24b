"""A chat request's ``image_url`` as an ``ImageSource``, a PDF ``file`` part as its pages; nothing fetched.

Accepted: data URLs (``data:image/png;base64,...``) and bare base64 (as Ollama's clients send); a PDF as
OpenAI's clients send one (``{"type": "file", "file": {"file_data": "data:application/pdf;base64,..."}}``).
Refused: ``http(s)://`` URLs (the server never fetches anything), and file paths unless the server was
started with ``--allow-file-dir``, and then only for files inside that folder (symbolic links and
``..`` are resolved first). The image header is read to check its size before anything is decoded.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
import urllib.parse
import urllib.request
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from visiondesk.engine import ImageSource
from visiondesk.engine.pdf_pages import PdfUnreadable, is_pdf, pdf_pages

from .errors import ApiError, bad_request

_DATA_URL = re.compile(r"data:(?P<type>[\w.+-]+/[\w.+-]+)?(?P<params>(;[\w.+-]+(=[\w.+-]+)?)*),", re.ASCII)
_WHITESPACE = re.compile(rb"\s+")
_BASE64 = re.compile(rb"[A-Za-z0-9+/_-]*={0,2}")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_PATH_LIKE = re.compile(r"(/|~|\.{1,2}[/\\]|[A-Za-z]:[/\\])")


def image_source(url: str, name: str, *, allow_file_dir: Path | None, max_pixels: int,
                 max_file_bytes: int) -> ImageSource:
    """The image behind ``url`` as bytes for the engine, or an ``ApiError`` saying what to send instead."""
    match = _SCHEME.match(url)
    scheme = match[1].lower() if match and len(match[1]) > 1 else ""  # one letter: a Windows drive
    if scheme in ("http", "https", "ftp", "ftps"):
        raise bad_request(f"Image {name}: the server does not download images ({url[:80]}). Send the image itself "
                          "as a data URL: data:image/png;base64,...", code="remote_image_url")
    if scheme == "data":
        data = _data_url_bytes(url, name)
    elif scheme == "file":
        data = _file_bytes(_file_url_path(url, name), name, allow_file_dir, max_file_bytes)
    elif scheme:
        raise bad_request(f"Image {name}: '{scheme}:' URLs are not supported; send a data URL "
                          "(data:image/png;base64,...).", code="invalid_image_url")
    else:
        decoded = _maybe_base64(url)
        if decoded is not None and _is_image(decoded):
            data = decoded
        elif _PATH_LIKE.match(url) or allow_file_dir is not None:
            data = _file_bytes(Path(url), name, allow_file_dir, max_file_bytes)
        else:
            raise bad_request(f"Image {name}: not a data URL, base64 image or file path. Send "
                              "data:image/png;base64,... (or the bare base64 of the image).",
                              code="invalid_image_url")
    check_header(data, name, max_pixels)
    return ImageSource(data=data, name=name)


def document_pages(file_data: str, filename: str, name: str, max_pages: int) -> list[ImageSource]:
    """The pages of the PDF in ``file_data`` (a data URL or bare base64), at most ``max_pages`` of them."""
    data = _data_url_bytes(file_data, name, media="application/pdf") if file_data.startswith("data:") \
        else _maybe_base64(file_data)
    if not data or not is_pdf(ImageSource(data=data)):
        raise bad_request(f"File {name}: not a PDF. Send a PDF as data:application/pdf;base64,... (images go in "
                          "image_url parts).", code="invalid_file")
    try:
        drawn = pdf_pages(ImageSource(data=data, name=filename or "document.pdf"), max_pages)
    except PdfUnreadable as exc:
        raise bad_request(f"File {name}: {exc}", code="invalid_file") from None
    if drawn.cut:
        raise bad_request(f"File {name}: the PDF has {drawn.total} pages; this request may carry {max_pages} more "
                          "images. Send the pages you mean (a shorter PDF, or the pages as images).",
                          code="too_many_images")
    return list(drawn.pages)


def _file_url_path(url: str, name: str) -> Path:
    try:
        return Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
    except ValueError as exc:
        raise bad_request(f"Image {name}: a malformed file URL ({exc}).", code="invalid_image_url") from None


def _data_url_bytes(url: str, name: str, media: str = "image/") -> bytes:
    """The bytes of a base64 data URL whose media type starts with ``media`` (or is unnamed, or octet-stream)."""
    match = _DATA_URL.match(url)
    if match is None:
        raise bad_request(f"Image {name}: a malformed data URL; the form is data:image/png;base64,<base64 data>.",
                          code="invalid_image_url")
    media_type = (match["type"] or "").lower()
    if media_type and not media_type.startswith(media) and media_type != "application/octet-stream":
        wanted = "an image" if media == "image/" else media
        raise bad_request(f"Image {name}: the data URL holds {media_type}, not {wanted}.", code="invalid_image_url")
    if ";base64" not in match["params"].lower():
        raise bad_request(f"Image {name}: the data URL is not base64-encoded; use data:image/png;base64,...",
                          code="invalid_image_url")
    data = _maybe_base64(url[match.end():])
    if data is None:
        raise bad_request(f"Image {name}: the data URL's base64 is damaged (it has characters base64 does not use, "
                          "or is cut short).", code="invalid_base64")
    if not data:
        raise bad_request(f"Image {name}: the data URL is empty.", code="invalid_base64")
    return data


def _maybe_base64(text: str) -> bytes | None:
    """Standard or URL-safe base64, line breaks and missing padding tolerated; None if it is not base64."""
    raw = _WHITESPACE.sub(b"", text.encode("ascii", errors="replace"))
    if not _BASE64.fullmatch(raw) or len(raw.rstrip(b"=")) % 4 == 1:
        return None
    raw = raw.rstrip(b"=") + b"=" * (-len(raw.rstrip(b"=")) % 4)
    try:
        return base64.b64decode(raw.replace(b"-", b"+").replace(b"_", b"/"), validate=True)
    except (binascii.Error, ValueError):
        return None


def _is_image(data: bytes) -> bool:
    try:
        Image.open(io.BytesIO(data)).close()
        return True
    except Image.DecompressionBombError:
        return True  # an image, refused later with the reason
    except Exception:  # noqa: BLE001 - anything Pillow cannot open is "not an image" here
        return False


def _file_bytes(path: Path, name: str, allow_file_dir: Path | None, max_bytes: int) -> bytes:
    if allow_file_dir is None:
        raise bad_request(f"Image {name}: the server does not read image files by path ({str(path)[:80]}). Send the "
                          "image as a data URL, or start the server with --allow-file-dir FOLDER.",
                          code="file_path_refused")
    folder = allow_file_dir.resolve()
    try:
        target = (folder / path.expanduser()).resolve()  # an absolute path replaces the folder
    except (OSError, ValueError) as exc:  # a NUL byte, a lone surrogate, a loop of links
        raise bad_request(f"Image {name}: not a usable file path ({exc}).", code="invalid_image_url") from None
    if not target.is_relative_to(folder):
        raise bad_request(f"Image {name}: {path} is outside the folder the server may read images from ({folder}).",
                          code="file_path_refused")
    try:
        if not target.is_file():  # a folder, a pipe or a device would block or mislead
            raise bad_request(f"Image {name}: there is no file {target}.", code="invalid_image_url")
        size = target.stat().st_size
        if size > max_bytes:
            raise ApiError(413, f"Image {name}: {target.name} is {size:,} bytes; the limit is {max_bytes:,}.",
                           code="image_too_large", param="messages")
        return target.read_bytes()
    except OSError as exc:
        raise bad_request(f"Image {name}: {target} cannot be read ({exc.strerror or exc}).",
                          code="invalid_image_url") from None


def check_header(data: bytes, name: str, max_pixels: int) -> None:
    """Refuse what is not an image, or claims more pixels than allowed, from its header alone."""
    try:
        # Pillow only warns between its two bomb limits; our limit, lower, decides. (No catch_warnings:
        # it is not thread-safe, and the engine's thread uses it.)
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
    except Image.DecompressionBombError as exc:
        raise ApiError(413, f"Image {name}: the image is too large to open safely ({exc}). Scale it down first.",
                       code="image_too_large", param="messages") from None
    except UnidentifiedImageError:
        raise bad_request(f"Image {name}: the data is not an image the server can read (PNG, JPEG, WebP, GIF, BMP "
                          "and TIFF work).", code="invalid_image") from None
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds on damaged headers
        raise bad_request(f"Image {name}: the image is damaged ({exc}).", code="invalid_image") from None
    if width * height > max_pixels:
        raise ApiError(413, f"Image {name}: the image is {width}×{height} = {width * height:,} pixels; the limit is "
                       f"{max_pixels:,}. Scale it down first.", code="image_too_large", param="messages")
