"""Images as servers receive them: downscaled data URLs, JPEG for photos, PNG for graphics and transparency."""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import pytest
from PIL import Image
from visiondesk.engine import ImageError, ImageSource
from visiondesk.engine.remote import encode_image
from visiondesk.engine.remote.upload_images import UploadCache


def decode(data_url: str) -> Image.Image:
    header, b64 = data_url.split(",", 1)
    assert header.startswith("data:image/") and header.endswith(";base64")
    return Image.open(io.BytesIO(base64.b64decode(b64)))


def test_a_photo_goes_as_jpeg_and_a_screenshot_as_png(pictures: dict[str, Path]) -> None:
    photo = encode_image(ImageSource(path=pictures["photo"]), 1500)
    assert photo.mime == "image/jpeg" and decode(photo.data_url).format == "JPEG"
    assert (photo.width, photo.height) == (900, 600), "smaller than the limit: not scaled"
    shot = encode_image(ImageSource(path=pictures["screenshot"]), 1500)
    assert shot.mime == "image/png" and decode(shot.data_url).format == "PNG"
    assert decode(shot.data_url).tobytes() == Image.open(pictures["screenshot"]).convert("RGB").tobytes(), \
        "PNG keeps text pixels exact"


def test_transparency_goes_as_png_on_white(pictures: dict[str, Path]) -> None:
    logo = encode_image(ImageSource(data=pictures["logo"].read_bytes(), name="logo.png"), 1500)
    assert logo.mime == "image/png"
    img = decode(logo.data_url).convert("RGB")
    assert img.getpixel((0, 0)) == (255, 255, 255) and img.getpixel((60, 40)) == (200, 40, 40)


@pytest.mark.parametrize(("long_side", "size"), [(1500, (1500, 1125)), (800, (800, 600))])
def test_large_images_are_downscaled_to_the_long_side(pictures: dict[str, Path], long_side: int,
                                                      size: tuple[int, int]) -> None:
    up = encode_image(ImageSource(path=pictures["big"]), long_side)
    assert (up.width, up.height) == size and decode(up.data_url).size == size
    assert len(up.data_url) < os.path.getsize(pictures["big"]), "smaller than the 12-megapixel original"


def test_an_unreadable_image_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    with pytest.raises(ImageError, match="notes.png"):
        encode_image(ImageSource(path=bad), 1500)
    with pytest.raises(ImageError, match="does not exist"):
        encode_image(ImageSource(path=tmp_path / "gone.jpg"), 1500)


def test_encoded_images_are_cached_until_the_file_changes(pictures: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(pictures["photo"].read_bytes())
    cache = UploadCache()
    first, cached = cache.get(ImageSource(path=path), 1500)
    assert not cached
    again, cached = cache.get(ImageSource(path=path), 1500)
    assert cached and again is first
    _, cached = cache.get(ImageSource(path=path), 800)
    assert not cached, "another size is another encoding"
    Image.new("RGB", (40, 30), (1, 2, 3)).save(path, "JPEG")
    changed, cached = cache.get(ImageSource(path=path), 1500)
    assert not cached and (changed.width, changed.height) == (40, 30)
