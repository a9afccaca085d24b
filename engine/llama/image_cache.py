"""Remembers which images the engine has already checked, so follow-up turns skip decoding them.

A follow-up question sends the whole conversation again, images included. Decoding, converting and
hashing a 12-megapixel photo on every turn costs more than answering, so the parent keeps each
source's identity (pixel digest and size), keyed by file path, modification time and size — or by a
hash of pasted bytes — and the child asks for pixels only for images it does not already hold.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
from pathlib import Path

from ..image_fit import DEFAULT_TARGET, ImageTarget
from ..images import PreparedImage, prepare_image
from ..requests import ImageAttachment, ImageSource


@dataclasses.dataclass(frozen=True)
class ImageRef:
    """An image's identity without its pixels."""

    digest: str
    width: int
    height: int
    label: str


def _key(source: ImageSource) -> tuple[object, ...] | None:
    if source.data is not None:
        return ("data", hashlib.sha256(source.data).hexdigest())
    if source.path is None:
        return None
    try:
        st = Path(source.path).stat()
    except OSError:
        return None  # let prepare_image say what is wrong
    return ("file", str(Path(source.path).resolve()), st.st_mtime_ns, st.st_size)


class ImageIdentityCache:
    """Bounded map from image source to ``ImageRef``; decodes only sources it has not seen."""

    def __init__(self, capacity: int = 256) -> None:
        self._refs: collections.OrderedDict[tuple[object, ...], ImageRef] = collections.OrderedDict()
        self._capacity = capacity

    def identify(self, source: ImageSource | ImageAttachment, max_pixels: int,
                 target: ImageTarget = DEFAULT_TARGET) -> tuple[ImageRef, PreparedImage | None]:
        """The image's identity (prepared for ``target``), plus its pixels if it had to be decoded now.

        An attachment carries its identity (its pixel digest, found when it was attached, for the default
        target): nothing is read.
        """
        if isinstance(source, ImageAttachment):
            if source.digest:
                return ImageRef(source.digest, source.width, source.height, source.label), None
            source = source.as_source()
        key = _key(source)
        if key is not None:
            key = (*key, target)  # another model may need another size, hence other pixels
        if key is not None and key in self._refs:
            self._refs.move_to_end(key)
            return self._refs[key], None
        img = prepare_image(source, max_pixels, target=target)
        ref = ImageRef(img.digest, img.width, img.height, img.label)
        if key is not None:
            self._refs[key] = ref
            while len(self._refs) > self._capacity:
                self._refs.popitem(last=False)
        return ref, img
