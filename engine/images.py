"""Turns whatever the user dropped into an RGB bitmap for libmtmd, or a clear ``ImageError``.

Runs in the parent process with Pillow: EXIF orientation applied, every mode converted to RGB
(transparency composited onto white), the first frame of animations, large photos downscaled to
what the model can use (JPEGs decoded at a reduced scale directly), and only absurd inputs refused
before decoding (gigapixels, decompression bombs). The identity of an image is a hash of its pixels after this
preparation, so renaming a file keeps its identity and editing its pixels changes it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import stat
import warnings
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageError
from .file_kind import path_kind
from .image_fit import DEFAULT_TARGET, ImageTarget
from .requests import ImageSource

DEFAULT_MAX_PIXELS = 1_000_000_000  # refused beyond this: no camera makes a gigapixel picture
BOMB_CHECK_PIXELS = 16_000_000  # above this, the file's size must be able to hold the pixels it claims
MAX_PIXELS_PER_BYTE = 10_000  # deflate compresses 1032:1 at best: even a 1-bit PNG stays near 8,300
_BOMB_WORDS = (f"it claims more than twice the limit of {DEFAULT_MAX_PIXELS:,} pixels (no camera makes such "
               "pictures) and is not safe to open.")
_RESIZABLE = ("RGB", "RGBA", "L", "LA", "I", "F")  # Pillow resamples these (alpha premultiplied)
DEFAULT_MAX_BYTES = 200_000_000  # far above any photo or screenshot; a file or paste beyond it is refused unread
MIN_SIDE = 2
# Pillow's own guard (a warning from 89 megapixels, an error from twice that) would refuse a 108-megapixel
# phone photo; the checks here replace it (_refuse_absurd), and Pillow's stays as a backstop beyond them.
Image.MAX_IMAGE_PIXELS = DEFAULT_MAX_PIXELS


@dataclasses.dataclass(frozen=True)
class PreparedImage:
    """An image ready for the engine: 8-bit RGB pixels, row-major."""

    width: int
    height: int
    rgb: bytes
    digest: str  # sha256 of the size and pixels
    label: str  # where it came from, for messages

    def __repr__(self) -> str:
        return f"PreparedImage({self.label!r}, {self.width}x{self.height}, {self.digest[:12]})"


def pixel_digest(width: int, height: int, rgb: bytes) -> str:
    """The identity of an image: sha256 of its size and RGB pixels."""
    h = hashlib.sha256(f"{width}x{height}:".encode())
    h.update(rgb)
    return h.hexdigest()


_SIGNATURES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\0", b"MM\0*")


def _looks_like_image(data: bytes) -> bool:
    return data.startswith(_SIGNATURES) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def check_image_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> int:
    """The size of the image file at ``path``, or ``ImageError`` if it is no regular file or too large.

    Only ``stat`` is used: a pipe, a device or a folder is named as such without being opened. Front
    ends that accept a path before the engine sees it (the chat's ``/image``) call this to say why.
    """
    kind = path_kind(path)
    if kind is not None and kind.code == "missing":
        raise ImageError(str(path), "the file does not exist.", "missing")
    if kind is not None:
        raise ImageError(str(path), f"it is {kind.phrase}, not an image file.", "not_a_file", kind=kind.code,
                         detail=kind.detail)
    size = path.stat().st_size
    _check_size(str(path), size, max_bytes)
    return size


def _check_size(label: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise ImageError(label, f"it is {_megabytes(size)}; images larger than {_megabytes(max_bytes)} are "
                                "not accepted. Scale it down or save it in a compressed format (JPEG, PNG).",
                         "too_large", size=size, max_bytes=max_bytes)


def _megabytes(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n:,} bytes"


def read_image_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of an image file, read only once it is known to be a regular file of at most ``max_bytes``.

    Raises ``ImageError`` otherwise. For every front end that stores or sends an image file.
    """
    check_image_file(path, max_bytes)
    try:
        # O_NONBLOCK: should the path have become a pipe since the check, opening it must not wait for
        # a writer; fstat then sees it. The read stays bounded whatever the file turned into.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise ImageError(str(path), "it stopped being a regular file while it was being opened.",
                                 "not_a_file_any_more")
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise ImageError(str(path), f"it cannot be read ({exc.strerror or exc}).", "unreadable",
                         detail=exc.strerror or str(exc)) from exc
    _check_size(str(path), len(data), max_bytes)
    return data


def _read_bytes(source: ImageSource, max_bytes: int) -> bytes:
    if source.data is not None:
        _check_size(source.label, len(source.data), max_bytes)
        return source.data
    if source.path is None:
        raise ImageError(source.label, "no file or data was given.", "nothing_given")
    return read_image_file(Path(source.path), max_bytes)


def _to_rgb(img: Image.Image) -> Image.Image:
    """Any Pillow mode to RGB; transparent pixels become white, high bit depths are scaled."""
    mode = img.mode
    if mode == "RGB":
        return img
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        import numpy as np

        a = np.asarray(img, dtype=np.float64)
        lo, hi = float(np.nanmin(a)), float(np.nanmax(a))
        if not np.isfinite(lo) or not np.isfinite(hi):
            a = np.nan_to_num(a)
            lo, hi = float(a.min()), float(a.max())
        scaled = np.zeros_like(a) if hi <= lo else (a - lo) * (255.0 / (hi - lo))
        return Image.fromarray(scaled.clip(0, 255).astype(np.uint8), "L").convert("RGB")
    if mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    elif mode in ("PA", "La"):
        img = img.convert("RGBA" if mode == "PA" else "LA")
    if img.mode in ("RGBA", "LA", "RGBa"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def _refuse_absurd(label: str, width: int, height: int, n_bytes: int, max_pixels: int) -> None:
    """Refuse, before decoding, what no camera makes: gigapixels, or far more pixels than the file can hold."""
    pixels = width * height
    if pixels > max_pixels:
        raise ImageError(label, f"it has {width}×{height} = {pixels:,} pixels; the limit is {max_pixels:,} "
                                "(no camera makes larger pictures). Scale it down first.", "too_many_pixels",
                         width=width, height=height, max_pixels=max_pixels)
    if pixels > BOMB_CHECK_PIXELS and pixels > MAX_PIXELS_PER_BYTE * n_bytes:
        raise ImageError(label, f"it claims {width}×{height} pixels ({pixels / 1e6:,.0f} megapixels) in a file of "
                                f"only {_megabytes(n_bytes)}; a real picture that large takes far more space, so "
                                "this file is not safe to open.", "bomb", width=width, height=height,
                         size=n_bytes)


def _decode_scaled(img: Image.Image, target: ImageTarget) -> Image.Image:
    """Decode ``img`` no larger than needed for ``target``, as RGB.

    A JPEG is decoded at 1/2, 1/4 or 1/8 scale directly (draft mode) down to 80 % of the target, whose
    margin absorbs that; other formats are decoded whole, then reduced by whole factors and resampled.
    """
    goal = target.size_for(*img.size)
    if goal != img.size and img.format == "JPEG":
        img.draft(None, (max(1, goal[0] * 4 // 5), max(1, goal[1] * 4 // 5)))
    if getattr(img, "n_frames", 1) > 1:
        img.seek(0)
    img.load()
    ImageOps.exif_transpose(img, in_place=True)  # in place: a copy would double the peak memory
    goal = target.size_for(*img.size)
    if goal != img.size:
        if img.mode.startswith("I;16"):
            img = img.convert("I")  # 4 bytes a pixel, not the 8 of _to_rgb's float arithmetic
        elif img.mode not in _RESIZABLE:
            img = _to_rgb(img)
        img = img.resize(goal, Image.Resampling.LANCZOS, reducing_gap=3.0)
    return _to_rgb(img)


def prepare_image(source: ImageSource | Path | str, max_pixels: int = DEFAULT_MAX_PIXELS,
                  max_bytes: int = DEFAULT_MAX_BYTES, target: ImageTarget = DEFAULT_TARGET) -> PreparedImage:
    """Read, check, downscale to ``target`` and convert one image; raise ``ImageError`` naming the problem.

    A path must lead to a regular file of at most ``max_bytes`` (checked before reading); bytes
    given directly (a paste, an API request) are held to the same limit. Images larger than ``target``
    are downscaled (the identity is that of the downscaled pixels); only absurd ones are refused:
    more than ``max_pixels``, or far more pixels than the file's size can encode (a decompression bomb).
    """
    if not isinstance(source, ImageSource):
        source = ImageSource(path=Path(source))
    label = source.label
    data = _read_bytes(source, max_bytes)
    if not data:
        raise ImageError(label, "the file is empty (0 bytes).", "empty")
    with warnings.catch_warnings():
        # _refuse_absurd says it in plainer words, with the numbers (Pillow still raises beyond twice the limit)
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            img: Image.Image = Image.open(io.BytesIO(data))
        except UnidentifiedImageError as exc:
            if _looks_like_image(data):
                raise ImageError(label, "it starts like an image but is damaged or truncated; copy or "
                                        "download it again.", "damaged_start") from exc
            raise ImageError(label, "it is not an image VisionDesk can read (PNG, JPEG, WebP, GIF, BMP, "
                                    "TIFF and similar work).", "unknown_format") from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageError(label, _BOMB_WORDS, "over_pixel_limit", max_pixels=DEFAULT_MAX_PIXELS) from exc
        except Exception as exc:  # Pillow raises many kinds on damaged headers
            raise ImageError(label, f"the file is damaged ({exc}).", "damaged", detail=str(exc)) from exc
        try:
            width, height = img.size
            _refuse_absurd(label, width, height, len(data), max_pixels)
            if width < MIN_SIDE or height < MIN_SIDE:
                raise ImageError(label, f"it is only {width}×{height} pixels; nothing can be seen in it.",
                                 "too_small", width=width, height=height)
            rgb = _decode_scaled(img, target)
            rgb.load()
            if rgb is not img:
                img.close()  # the full-size decode goes before the pixels are copied out
        except ImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageError(label, _BOMB_WORDS, "over_pixel_limit", max_pixels=DEFAULT_MAX_PIXELS) from exc
        except MemoryError as exc:
            raise ImageError(label, "there is not enough memory to open it; close other programs or scale it "
                                    "down first.", "out_of_memory") from exc
        except OSError as exc:
            raise ImageError(label, f"the file is truncated or damaged ({exc}).", "truncated",
                             detail=str(exc)) from exc
        except Exception as exc:
            raise ImageError(label, f"the file is damaged ({type(exc).__name__}: {exc}).", "damaged",
                             detail=f"{type(exc).__name__}: {exc}") from exc
    pixels = rgb.tobytes()
    w, h = rgb.size
    if len(pixels) != w * h * 3:
        raise ImageError(label, "its pixels could not be converted to RGB.", "not_rgb")
    return PreparedImage(width=w, height=h, rgb=pixels, digest=pixel_digest(w, h, pixels), label=label)
