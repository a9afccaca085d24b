"""How a request's images reach the engine process: identified once, their prepared pixels handed over as files.

An ``ImageAttachment`` carries its identity, so nothing is read for it; an ``ImageSource`` (a path or
pasted bytes) is decoded once and remembered by ``ImageIdentityCache``. An attachment's identity is that of its
pixels prepared for the default target, the one the conversation store records: one identity per image, whichever
projector is loaded (so its pixels, decoded again, match it, and a purge finds them). Other sources are prepared
for the loaded projector's target. The engine process asks for the
pixels only of the images it must evaluate, and gets the file of their prepared pixels in the
``PixelCache`` (decoded again only if the cache lost them).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import ImageError, ImagesNeedProjector
from ..gguf_header import GGUFInfo
from ..image_fit import DEFAULT_TARGET, ImageTarget, target_for
from ..images import PreparedImage, prepare_image
from ..pixel_cache import PixelCache
from ..requests import ImageAttachment, ImageSource, ModelSpec
from .image_cache import ImageIdentityCache, ImageRef

PRIVATE_PIXEL_BYTES = 512 * 1024**2  # the private pixel folder of an engine given none (the command line)


class ImageFeed:
    """The images side of ``LocalEngine``: identities, the projector's target size, the pixel files."""

    def __init__(self, pixels: PixelCache | None) -> None:
        """``pixels``: the app's shared cache; by default a private temporary folder that ``close`` removes."""
        self._own = tempfile.TemporaryDirectory(prefix="visiondesk-pixels-") if pixels is None else None
        self._pixels = pixels or PixelCache(Path(self._own.name) if self._own else Path(), PRIVATE_PIXEL_BYTES)
        self._ids = ImageIdentityCache()
        self.target: ImageTarget = DEFAULT_TARGET  # how large the loaded projector needs images
        self.projector: GGUFInfo | None = None

    def use_projector(self, projector: GGUFInfo | None, image_max_tokens: int) -> None:
        """A model was loaded: prepare images for its projector (and image token budget)."""
        self.target = target_for(projector, image_max_tokens or None)
        self.projector = projector

    def identify(self, sources: Sequence[ImageSource | ImageAttachment],
                 spec: ModelSpec) -> tuple[list[ImageRef], dict[int, PreparedImage]]:
        """Each image's identity, and the pixels of those that had to be decoded now (by index)."""
        if sources and spec.mmproj is None:
            raise ImagesNeedProjector(spec.model)
        refs: list[ImageRef] = []
        fresh: dict[int, PreparedImage] = {}
        for i, src in enumerate(sources):
            ref, img = self._ids.identify(src, spec.image_max_pixels, self._target_of(src))
            refs.append(ref)
            if img is not None:
                fresh[i] = img
        return refs, fresh

    def pixel_file(self, index: int, source: ImageSource | ImageAttachment, ref: ImageRef,
                   fresh: dict[int, PreparedImage], max_pixels: int) -> str:
        """The file of an image's prepared pixels for the engine process: from the cache, decoded only if gone."""
        found = self._pixels.find(ref.digest, ref.width, ref.height)
        if found is not None:
            return str(found)
        if (img := fresh.get(index)) is None:
            img = prepare_image(source.as_source() if isinstance(source, ImageAttachment) else source, max_pixels,
                                target=self._target_of(source))
        if img.digest != ref.digest:
            raise ImageError(img.label, "it changed while the answer was being prepared; send it again.", "changed")
        return str(self._pixels.put(img))

    def _target_of(self, source: ImageSource | ImageAttachment) -> ImageTarget:
        return DEFAULT_TARGET if isinstance(source, ImageAttachment) else self.target

    def close(self) -> None:
        """Remove the private pixel folder, if this feed made one."""
        if self._own is not None:
            self._own.cleanup()
