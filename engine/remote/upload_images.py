"""Images as a remote server receives them: base64 data URLs, downscaled, JPEG or PNG.

Each image goes through ``engine.images.prepare_image`` (the same checks, EXIF rotation and RGB pixels as
for the local engine; remote URLs are never fetched or sent: an ``ImageSource`` is a file or bytes), is
downscaled to ``long_side`` pixels on its long side, and re-encoded. The format rule, kept simple:

- PNG when the original had transparency (it is composited onto white, as for the local engine, and
  PNG keeps the cut-out edges clean), or when the downscaled image has at most ``PNG_MAX_COLORS``
  distinct colours: screenshots, documents, charts and text, where JPEG smears the letters;
- JPEG (quality 90) otherwise: photos, where it is a fraction of PNG's size.

Conversations re-send every earlier image with each message (the server keeps no state), so encoded
images are cached by content and size.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import hashlib
import io
import threading
from pathlib import Path

from PIL import Image

from ..images import prepare_image
from ..requests import ImageAttachment, ImageSource

PNG_MAX_COLORS = 4096
JPEG_QUALITY = 90


@dataclasses.dataclass(frozen=True)
class UploadImage:
    """One image ready to send."""

    data_url: str
    mime: str
    width: int
    height: int
    label: str


def _has_alpha(data: bytes) -> bool:
    """Whether the encoded image carries transparency (reads the header only)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
    except Exception:  # noqa: BLE001 - prepare_image reports unreadable files with the right words
        return False


def encode_image(source: ImageSource, long_side: int) -> UploadImage:
    """Prepare, downscale and encode one image; raises ``ImageError`` for what cannot be used."""
    raw = source.data if source.data is not None else _read(source)
    prepared = prepare_image(ImageSource(data=raw, name=source.label) if raw is not None else source)
    img = Image.frombytes("RGB", (prepared.width, prepared.height), prepared.rgb)
    if max(img.size) > long_side:
        scale = long_side / max(img.size)
        size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
        img = img.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    few_colors = img.getcolors(PNG_MAX_COLORS) is not None
    out = io.BytesIO()
    if few_colors or (raw is not None and _has_alpha(raw)):
        img.save(out, "PNG", optimize=False, compress_level=6)
        mime = "image/png"
    else:
        img.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        mime = "image/jpeg"
    url = f"data:{mime};base64,{base64.b64encode(out.getvalue()).decode('ascii')}"
    return UploadImage(data_url=url, mime=mime, width=img.width, height=img.height, label=prepared.label)


def _read(source: ImageSource) -> bytes | None:
    """The file's bytes, or None to let ``prepare_image`` name the problem (missing file, folder...)."""
    if source.path is None:
        return None
    try:
        return Path(source.path).read_bytes()
    except OSError:
        return None


class UploadCache:
    """Encoded images by (content, long side); a file is identified by path, size and mtime before reading."""

    def __init__(self, capacity: int = 32) -> None:
        self._capacity = capacity
        self._items: collections.OrderedDict[tuple[str, int], UploadImage] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, image: ImageSource | ImageAttachment, long_side: int) -> tuple[UploadImage, bool]:
        """(the encoded image, whether it came from the cache); an attachment is known by its pixel digest."""
        source = image.as_source() if isinstance(image, ImageAttachment) else image
        key = (f"pixels:{image.digest}" if isinstance(image, ImageAttachment) and image.digest else _identity(source),
               long_side)
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit, True
        encoded = encode_image(source, long_side)
        with self._lock:
            self._items[key] = encoded
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return encoded, False


def _identity(source: ImageSource) -> str:
    if source.data is not None:
        return "bytes:" + hashlib.sha256(source.data).hexdigest()
    path = Path(source.path or "")
    try:
        st = path.stat()
    except OSError:
        return f"missing:{path}"  # not cached usefully: encode_image raises the clear error
    return f"file:{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"
