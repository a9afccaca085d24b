"""Real images generated with Pillow for the data-layer tests."""

from __future__ import annotations

import io

from PIL import Image


def png_bytes(width: int = 8, height: int = 6, color: tuple[int, int, int] = (255, 0, 0)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def jpeg_bytes(width: int = 10, height: int = 4, color: tuple[int, int, int] = (0, 0, 255)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="JPEG")
    return buffer.getvalue()
