"""Content-addressed image files for the conversation store.

An attachment file is named ``<sha256 of its bytes><original extension>``, so the same image sent
twice (or in two conversations) is stored once.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from visiondesk.engine.errors import VisionDeskError
from visiondesk.engine.images import DEFAULT_MAX_BYTES, prepare_image, read_image_file
from visiondesk.engine.requests import ImageSource

log = logging.getLogger(__name__)

# Pillow format name -> extension, used when the original name has no usable extension.
_FORMAT_EXTENSIONS = {
    "JPEG": ".jpg",
    "PNG": ".png",
    "GIF": ".gif",
    "WEBP": ".webp",
    "BMP": ".bmp",
    "TIFF": ".tiff",
}
_EXTENSION_RE = re.compile(r"^\.[A-Za-z0-9]{1,8}$")
STORED_NAME_RE = re.compile(r"^[0-9a-f]{64}(\.[a-z0-9]{1,8})?$")

AttachmentSource = Path | tuple[bytes, str]


@dataclass(frozen=True, slots=True)
class ImageBytes:
    """An image file's bytes, hashed and measured from its header (not decoded), ready to be stored."""

    data: bytes
    sha256: str
    name: str
    extension: str
    width: int
    height: int

    @property
    def file_name(self) -> str:
        """Name of the content-addressed file in the attachments folder."""
        return self.sha256 + self.extension


def read_image_bytes(source: AttachmentSource, max_bytes: int = DEFAULT_MAX_BYTES) -> ImageBytes:
    """Read an attachment (a file path, or ``(bytes, original_name)``), hash it and measure it.

    Raises ``ValueError`` when the bytes are not an image Pillow can read, and ``ImageError`` (an
    ``InputError``, with a sentence naming the file) when the path is no regular file (a folder, a
    pipe, ``/dev/zero``), is larger than ``max_bytes`` or cannot be read: it is never read unbounded.
    """
    if isinstance(source, tuple):
        data, name = source
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"attachment bytes expected, got {type(data).__name__}")
        data = bytes(data)
    else:
        path = Path(source)
        data = read_image_file(path, max_bytes)
        name = path.name
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            image_format = image.format or ""
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"attachment {name!r} is not a readable image: {exc}") from exc
    extension = Path(name).suffix.lower()
    if not _EXTENSION_RE.match(extension):
        extension = _FORMAT_EXTENSIONS.get(image_format, "")
    return ImageBytes(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        name=name or f"image{extension}",
        extension=extension,
        width=int(width),
        height=int(height),
    )


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise


def ensure_file(folder: Path, image: ImageBytes, file_name: str) -> Path:
    """Make sure ``folder/file_name`` holds the image's bytes; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / file_name
    if not target.is_file() or target.stat().st_size != len(image.data):
        write_atomically(target, image.data)
    return target


def pixel_digests(folder: Path, file_names: Iterable[str]) -> list[str]:
    """The pixel digests of stored images whose check never recorded one (decoded now, as the engine would)."""
    found = []
    for name in file_names:
        try:
            found.append(prepare_image(ImageSource(path=folder / name)).digest)
        except (VisionDeskError, OSError) as exc:  # not an image any more: nothing was derived from it
            log.info("a purged image could not be identified (%s)", exc)
    return found


def remove_unreferenced(folder: Path, referenced: Iterable[str]) -> list[Path]:
    """Delete content-addressed files (and stale temp files) in ``folder`` not in ``referenced``.

    Only files whose names look like ours are touched. Returns the removed paths.
    """
    keep = set(referenced)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    for entry in folder.iterdir():
        ours = STORED_NAME_RE.match(entry.name) or (
            entry.name.startswith(".") and entry.name.endswith(".tmp")
        )
        if not ours or entry.name in keep or not entry.is_file():
            continue
        try:
            entry.unlink()
        except FileNotFoundError:
            continue
        removed.append(entry)
    return removed
