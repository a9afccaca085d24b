"""One identity per attached image, from the moment it is attached to the engine process.

``attach_image`` reads the file (or pasted bytes) once, checks and decodes it once, and returns an
``ImageAttachment``: the hash of its bytes (where the conversation store keeps it), the digest of its
prepared pixels (what the engine's caches key on), its prepared size and its display name. The
prepared pixels go into the ``PixelCache``, where the engine process finds them by digest. Messages
carry the attachment; nothing downstream decodes the image again unless its pixels are gone.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .images import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, PreparedImage, prepare_image, read_image_file
from .pixel_cache import PixelCache
from .requests import ImageAttachment, ImageSource


def attach_image(source: ImageSource, pixels: PixelCache | None = None, *, max_pixels: int = DEFAULT_MAX_PIXELS,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[ImageAttachment, PreparedImage]:
    """Read, check and decode ``source`` once; its pixels go to ``pixels``. Raises ``ImageError``."""
    if source.data is not None:
        data = source.data
        name = source.name or "pasted image"
        path = Path(name)
    else:
        assert source.path is not None, "an ImageSource has a path or data"
        path = Path(source.path)
        data = read_image_file(path, max_bytes)
        name = source.name or path.name
    prepared = prepare_image(ImageSource(data=data, name=source.label), max_pixels, max_bytes)
    if pixels is not None:
        pixels.put(prepared)
    attachment = ImageAttachment(sha256=hashlib.sha256(data).hexdigest(), digest=prepared.digest,
                                 width=prepared.width, height=prepared.height, name=name, path=path)
    return attachment, prepared
