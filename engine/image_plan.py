""""What the model sees": each image as the projector will receive it, and what the prompt will cost.

The counts come from libmtmd's tokenizer in the engine process (the same call a chat makes before
encoding); the picture the projector receives is derived from them and the mmproj's header: the
token grid of the native-resolution families (Qwen-VL), the fixed square others squash every image
into (Gemma 3, LLaVA), or an overview plus tiles (MiniCPM-V, InternVL, SmolVLM). Qt-free: the
preview is a small RGB bitmap any front end can show.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from PIL import Image, ImageDraw

from .gguf_header import GGUFInfo

PREVIEW_BOX = 160  # the preview fits in a square this large
_GRID_FAMILIES = {"qwen2vl_merger": 2, "qwen2.5vl_merger": 2, "qwen3vl_merger": 2}  # M-RoPE: nx/ny are a grid
_NATIVE = {"pixtral": 1, "lfm2": 2, "glm4v": 2, "kimivl": 2, "lightonocr": 2}  # tokens follow the size


@dataclasses.dataclass(frozen=True)
class ImagePlan:
    """One image as the model will take it."""

    label: str
    width: int  # the prepared image (after any downscaling), in pixels
    height: int
    n_tokens: int  # context tokens (KV cells) it takes, its marker tokens included
    n_positions: int  # positions it takes (fewer than tokens with M-RoPE)
    pictures: int  # pictures the projector encodes: 1, or an overview plus tiles
    input_size: tuple[int, int]  # one picture as the projector receives it, in pixels
    preview: bytes  # RGB pixels of a small preview of what the projector receives
    preview_size: tuple[int, int]

    @property
    def n_slices(self) -> int:
        """Tiles besides the overview (0: the image is read as one picture)."""
        return self.pictures - 1 if self.pictures > 1 else 0

    def describe(self) -> str:
        """One line for people: the tokens and how the picture is read."""
        w, h = self.input_size
        how = (f"overview {w}×{h} + {self.n_slices} tiles" if self.n_slices else f"read as {w}×{h}")
        return f"{self.label}: {self.n_tokens:,} tokens ({how}; prepared {self.width}×{self.height})"


@dataclasses.dataclass(frozen=True)
class PromptPlan:
    """What a conversation will take in the context before the answer."""

    prompt_tokens: int  # text and images, as Usage.prompt_tokens will report it
    text_tokens: int
    n_ctx: int
    images: tuple[ImagePlan, ...]

    @property
    def context_share(self) -> float:
        """The share of the context the prompt fills (0..1, above 1 if it does not fit)."""
        return self.prompt_tokens / self.n_ctx if self.n_ctx else 0.0


def input_size(projector: GGUFInfo | None, chunk: dict[str, int], width: int, height: int) -> tuple[int, int]:
    """The size of the first picture the projector receives, from its token grid and the header."""
    if projector is None:
        return width, height
    kind = projector.projector_type or ""
    size = int(projector.get("clip.vision.image_size", 0) or 0) or 336
    patch = int(projector.get("clip.vision.patch_size", 0) or 0) or 14
    if kind in _GRID_FAMILIES:
        side = patch * _GRID_FAMILIES[kind]
        return chunk["nx"] * side, chunk["ny"] * side
    if kind in _NATIVE:  # only the count is known: the same area, the image's shape
        side = patch * _NATIVE[kind]
        scale = math.sqrt(chunk["n_tokens"] * side * side / (width * height))
        return max(1, round(width * scale)), max(1, round(height * scale))
    return size, size


def _tile_grid(n_tiles: int, width: int, height: int) -> tuple[int, int]:
    """(columns, rows) of ``n_tiles`` tiles closest to the image's shape (libmtmd does not report it)."""
    pairs = [(c, n_tiles // c) for c in range(1, n_tiles + 1) if n_tiles % c == 0]
    return min(pairs, key=lambda cr: abs(math.log((cr[0] / cr[1]) / (width / height))))


def render_preview(rgb: bytes, width: int, height: int, size: tuple[int, int], pictures: int,
                   box: int = PREVIEW_BOX) -> tuple[bytes, tuple[int, int]]:
    """A small picture of what the projector receives: the image squashed or resized to ``size``.

    For tiled models the overview stands next to the image with its tile grid drawn over it.
    """
    image = Image.frombytes("RGB", (width, height), rgb)
    seen = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    seen.thumbnail((box, box))
    if pictures > 1:
        tiles = image.copy()
        tiles.thumbnail((box, box))
        cols, rows = _tile_grid(pictures - 1, width, height)
        draw = ImageDraw.Draw(tiles)
        for c in range(1, cols):
            x = tiles.width * c // cols
            draw.line((x, 0, x, tiles.height), fill=(255, 255, 255), width=1)
        for r in range(1, rows):
            y = tiles.height * r // rows
            draw.line((0, y, tiles.width, y), fill=(255, 255, 255), width=1)
        overview = seen
        seen = Image.new("RGB", (overview.width + 4 + tiles.width, max(overview.height, tiles.height)),
                         (255, 255, 255))
        seen.paste(overview, (0, 0))
        seen.paste(tiles, (overview.width + 4, 0))
    return seen.tobytes(), seen.size


def image_plan(projector: GGUFInfo | None, label: str, width: int, height: int, rgb: bytes,
               measured: Mapping[str, Any]) -> ImagePlan:
    """An ``ImagePlan`` from the engine process's measure of one image and its prepared pixels."""
    chunks = measured["chunks"]
    size = input_size(projector, chunks[0], width, height)
    preview, preview_size = render_preview(rgb, width, height, size, len(chunks))
    return ImagePlan(label=label, width=width, height=height, n_tokens=int(measured["n_tokens"]),
                     n_positions=int(measured["n_pos"]), pictures=len(chunks), input_size=size,
                     preview=preview, preview_size=preview_size)
