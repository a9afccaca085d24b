"""How large a prepared image needs to be for the model that will read it.

A phone photo has 48-200 megapixels; no vision model reads more than a few. libmtmd resizes every
image to its projector's input (a fixed square, a grid of tiles, or a pixel budget for the
native-resolution families), so the parent downscales before handing pixels over: to what the
projector can use, with a margin (twice each side), read from the mmproj's header. Without a known
projector a safe default applies: 4096 pixels on the long side.
"""

from __future__ import annotations

import dataclasses
import math

from .gguf_header import GGUFInfo

DEFAULT_LONG_SIDE = 4096  # no known projector: a 4K long side keeps any model's detail
LARGEST_PIXELS = 4096 * 4096  # never hand more than this over, whatever the model (50 MB of RGB)
SMALLEST_PIXELS = 2048 * 1536  # a small projector still gets a picture worth previewing
MARGIN = 4  # area factor over what the projector reads: twice each side

# Families that read an image at (close to) its own resolution, up to a token budget: pixels per
# token side (patch size times the merge of neighbouring patches) come from the header.
_NATIVE_MERGE = {"qwen2vl_merger": 2, "qwen2.5vl_merger": 2, "qwen3vl_merger": 2, "glm4v": 2, "lfm2": 2,
                 "kimivl": 2, "pixtral": 1, "lightonocr": 2}
NATIVE_MAX_TOKENS = 4096  # upper end of the budgets libmtmd sets for these families
# Families that cut a large image into tiles of the input size, plus an overview: how many at most.
_TILES = {"resampler": 10, "llama4": 17, "idefics3": 0}  # idefics3: its preproc_image_size says
INTERNVL_TILES = 12


@dataclasses.dataclass(frozen=True)
class ImageTarget:
    """At most ``long_side`` pixels on the long side and ``max_pixels`` in all; never enlarged."""

    long_side: int = DEFAULT_LONG_SIDE
    max_pixels: int = LARGEST_PIXELS

    def size_for(self, width: int, height: int) -> tuple[int, int]:
        """The prepared size of a ``width`` × ``height`` image (the same size if it already fits)."""
        scale = min(1.0, self.long_side / max(width, height), math.sqrt(self.max_pixels / (width * height)))
        if scale >= 1.0:
            return width, height
        # The epsilon keeps 4096/w*w from flooring to 4095.
        return max(1, math.floor(width * scale + 1e-6)), max(1, math.floor(height * scale + 1e-6))


DEFAULT_TARGET = ImageTarget()


def useful_pixels(projector: GGUFInfo, image_max_tokens: int | None = None) -> int:
    """How many pixels of an image the projector reads at most (before the margin)."""
    size = int(projector.get("clip.vision.image_size", 0) or 0) or 336
    patch = int(projector.get("clip.vision.patch_size", 0) or 0) or 14
    kind = projector.projector_type or ""
    if kind in _NATIVE_MERGE:
        header_max = int(projector.get("clip.vision.image_max_pixels", 0) or 0)
        side = patch * _NATIVE_MERGE[kind]
        by_tokens = max(image_max_tokens or 0, NATIVE_MAX_TOKENS) * side * side
        return max(header_max, by_tokens)
    if kind == "idefics3":
        pre = int(projector.get("clip.vision.preproc_image_size", 0) or 0) or size
        return pre * pre + size * size
    if kind == "internvl":
        tiles = int(projector.get("clip.vision.preproc_max_tiles", 0) or 0) or INTERNVL_TILES
        return (tiles + 1) * size * size
    if kind in _TILES:
        return _TILES[kind] * size * size
    pinpoints = projector.get("clip.vision.image_grid_pinpoints")  # LLaVA-1.6: the largest grid
    if isinstance(pinpoints, list) and len(pinpoints) >= 2:
        areas = [int(pinpoints[i]) * int(pinpoints[i + 1]) for i in range(0, len(pinpoints) - 1, 2)]
        return max(areas) + size * size
    return size * size


def target_for(projector: GGUFInfo | None, image_max_tokens: int | None = None) -> ImageTarget:
    """The prepared size for images read by ``projector`` (``None``: the default, 4096 px long side)."""
    if projector is None:
        return DEFAULT_TARGET
    pixels = min(LARGEST_PIXELS, max(SMALLEST_PIXELS, MARGIN * useful_pixels(projector, image_max_tokens)))
    # The area bounds what a model reads; a panorama keeps its long side up to twice the default.
    return ImageTarget(long_side=2 * DEFAULT_LONG_SIDE, max_pixels=pixels)
