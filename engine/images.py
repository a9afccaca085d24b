"""Turns whatever the user dropped into an RGB bitmap for libmtmd, or a clear ``ImageError``.

Runs in the parent process with Pillow: EXIF orientation applied, every mode converted to RGB
(transparency composited onto white), the first frame of animations, pixel limits enforced before
decoding (decompression bombs). The identity of an image is a hash of its pixels after this
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
from .file_kind import path_problem
from .requests import ImageSource

DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_BYTES = 200_000_000  # far above any photo or screenshot; a file or paste beyond it is refused unread
MIN_SIDE = 2


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
    problem = path_problem(path)
    if problem == "missing":
        raise ImageError(str(path), "the file does not exist.")
    if problem is not None:
        raise ImageError(str(path), f"it is {problem}, not an image file.")
    size = path.stat().st_size
    _check_size(str(path), size, max_bytes)
    return size


def _check_size(label: str, size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise ImageError(label, f"it is {_megabytes(size)}; images larger than {_megabytes(max_bytes)} are "
                                "not accepted. Scale it down or save it in a compressed format (JPEG, PNG).")


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
                raise ImageError(str(path), "it stopped being a regular file while it was being opened.")
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise ImageError(str(path), f"it cannot be read ({exc.strerror or exc}).") from exc
    _check_size(str(path), len(data), max_bytes)
    return data


def _read_bytes(source: ImageSource, max_bytes: int) -> bytes:
    if source.data is not None:
        _check_size(source.label, len(source.data), max_bytes)
        return source.data
    if source.path is None:
        raise ImageError(source.label, "no file or data was given.")
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


def prepare_image(source: ImageSource | Path | str, max_pixels: int = DEFAULT_MAX_PIXELS,
                  max_bytes: int = DEFAULT_MAX_BYTES) -> PreparedImage:
    """Read, check and convert one image; raise ``ImageError`` naming the file and the problem.

    A path must lead to a regular file of at most ``max_bytes`` (checked before reading); bytes
    given directly (a paste, an API request) are held to the same limit.
    """
    if not isinstance(source, ImageSource):
        source = ImageSource(path=Path(source))
    label = source.label
    data = _read_bytes(source, max_bytes)
    if not data:
        raise ImageError(label, "the file is empty (0 bytes).")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img: Image.Image = Image.open(io.BytesIO(data))
        except UnidentifiedImageError as exc:
            if _looks_like_image(data):
                raise ImageError(label, "it starts like an image but is damaged or truncated; copy or "
                                        "download it again.") from exc
            raise ImageError(label, "it is not an image VisionDesk can read (PNG, JPEG, WebP, GIF, BMP, "
                                    "TIFF and similar work).") from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageError(label, f"it is too large to open safely ({exc}).") from exc
        except Exception as exc:  # Pillow raises many kinds on damaged headers
            raise ImageError(label, f"the file is damaged ({exc}).") from exc
        try:
            width, height = img.size
            if width * height > max_pixels:
                raise ImageError(label, f"it has {width}×{height} = {width * height:,} pixels; the limit is "
                                        f"{max_pixels:,}. Scale it down first.")
            if width < MIN_SIDE or height < MIN_SIDE:
                raise ImageError(label, f"it is only {width}×{height} pixels; nothing can be seen in it.")
            if getattr(img, "n_frames", 1) > 1:
                img.seek(0)
            img.load()
            img = ImageOps.exif_transpose(img) or img
            rgb = _to_rgb(img)
            rgb.load()
        except ImageError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageError(label, f"it is too large to open safely ({exc}).") from exc
        except OSError as exc:
            raise ImageError(label, f"the file is truncated or damaged ({exc}).") from exc
        except Exception as exc:
            raise ImageError(label, f"the file is damaged ({type(exc).__name__}: {exc}).") from exc
    pixels = rgb.tobytes()
    w, h = rgb.size
    if len(pixels) != w * h * 3:
        raise ImageError(label, "its pixels could not be converted to RGB.")
    return PreparedImage(width=w, height=h, rgb=pixels, digest=pixel_digest(w, h, pixels), label=label)
