"""Phone-sized photos (48-200 megapixels) are downscaled and answered; absurd files are still refused.

Each large image is prepared in a fresh Python process, so its peak resident memory (Linux's VmHWM,
interpreter and libraries included) is what preparing that image cost; time and memory are printed
(run with ``-s``; bench/RESULTS-images.md keeps a table).
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from visiondesk.engine import ImageError, ImageSource, Message, prepare_image
from visiondesk.engine.image_fit import DEFAULT_LONG_SIDE, ImageTarget
from visiondesk.engine.images import pixel_digest
from visiondesk.engine.llama import LocalEngine

from tests.engine.conftest import run

LARGE = {  # name: (width, height, format)
    "48 MP JPEG": (8000, 6000, "JPEG"),
    "108 MP JPEG": (12000, 9000, "JPEG"),
    "200 MP JPEG": (16330, 12247, "JPEG"),
    "100 MP PNG": (10000, 10000, "PNG"),
}
JPEG_PEAK_LIMIT_MB = 300

_MEASURE = """
import json, sys, time
from visiondesk.engine.images import prepare_image
def peak_kib():  # VmHWM: this process's peak resident memory (ru_maxrss would carry the parent's over exec)
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))
base = peak_kib()
t0 = time.perf_counter()
img = prepare_image(sys.argv[1])
seconds = time.perf_counter() - t0
peak = peak_kib()
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "base_mb": base / 1024,
                  "size": [img.width, img.height], "digest": img.digest}))
"""


def _photo(width: int, height: int) -> Image.Image:
    """A flat picture with a few shapes: it compresses small, so writing it stays fast."""
    img = Image.new("RGB", (width, height), (120, 90, 60))
    draw = ImageDraw.Draw(img)
    for k in range(8):
        x, y = width * k // 8, height * k // 8
        draw.rectangle((x, y, x + width // 10, y + height // 10), fill=(30 * k, 200 - 20 * k, 90))
    return img


@pytest.fixture(scope="module")
def large_photos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The large photos, written once per module."""
    d = tmp_path_factory.mktemp("large")
    out = {}
    for name, (w, h, fmt) in LARGE.items():
        path = d / (name.replace(" ", "_") + (".jpg" if fmt == "JPEG" else ".png"))
        img = _photo(w, h)
        img.save(path, fmt, quality=85) if fmt == "JPEG" else img.save(path, fmt, compress_level=1)
        del img
        out[name] = path
    return out


def _measure(path: Path) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, timeout=300,
                         check=False)
    assert out.returncode == 0, out.stderr
    result: dict[str, object] = json.loads(out.stdout)
    return result


@pytest.mark.parametrize("name", list(LARGE))
def test_large_photo_is_prepared_small_and_within_memory(name: str, large_photos: dict[str, Path]) -> None:
    w, h, fmt = LARGE[name]
    r = _measure(large_photos[name])
    size = r["size"]
    assert isinstance(size, list)
    print(f"\n{name}: {w}x{h}, {large_photos[name].stat().st_size / 1e6:.1f} MB file -> {size[0]}x{size[1]} "
          f"in {r['seconds']:.2f} s, peak RSS {r['peak_mb']:.0f} MB (interpreter and imports: {r['base_mb']:.0f} MB)")
    assert max(size) <= DEFAULT_LONG_SIDE
    assert max(size) >= DEFAULT_LONG_SIDE * 4 // 5  # downscaled to the target, not far below it
    assert abs(size[0] / size[1] - w / h) < 0.01  # the shape is kept
    if fmt == "JPEG":
        assert float(r["peak_mb"]) < JPEG_PEAK_LIMIT_MB  # type: ignore[arg-type]


def test_identity_is_that_of_the_downscaled_pixels(large_photos: dict[str, Path]) -> None:
    img = prepare_image(large_photos["48 MP JPEG"])
    assert (img.width, img.height) == (4096, 3072) or max(img.width, img.height) < 4096
    assert len(img.rgb) == img.width * img.height * 3
    assert img.digest == pixel_digest(img.width, img.height, img.rgb)
    smaller = prepare_image(large_photos["48 MP JPEG"], target=ImageTarget(long_side=1024))
    assert 1024 * 4 // 5 <= max(smaller.width, smaller.height) <= 1024  # JPEG draft: down to 80 % of the target
    assert smaller.digest != img.digest  # another size, other pixels, another identity


def test_large_photos_are_answered(engine: LocalEngine, large_photos: dict[str, Path]) -> None:
    for name, path in large_photos.items():
        text, fin, _ = run(engine, [Message.user("What is this?", path)])
        assert fin.error is None and text, name
        engine.reset_conversation()


def _png_claiming(width: int, height: int) -> bytes:
    """A few hundred bytes whose header claims ``width`` x ``height`` pixels."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
            + chunk(b"IEND", b""))


def _jpeg_claiming(width: int, height: int) -> bytes:
    """A small real JPEG whose frame header is rewritten to claim ``width`` x ``height``."""
    import io

    buf = io.BytesIO()
    Image.new("RGB", (64, 48)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


BOMBS = {
    "400 MP in 1 kB (PNG)": (_png_claiming(20000, 20000), "not safe to open"),
    "1.6 GP (PNG)": (_png_claiming(40000, 40000), "limit is 1,000,000,000"),
    "4 GP (JPEG, 65000 x 65000)": (_jpeg_claiming(65000, 65000), "limit"),
    "200 MP claimed by a 700-byte JPEG": (_jpeg_claiming(16330, 12247), "not safe to open"),
}


@pytest.mark.parametrize("kind", list(BOMBS))
def test_bombs_are_refused_in_plain_words(kind: str) -> None:
    data, words = BOMBS[kind]
    with pytest.raises(ImageError) as info:
        prepare_image(ImageSource(data=data, name="photo.png"))
    message = str(info.value)
    print(f"\n{kind}: {message}")
    assert words in message and "photo.png" in message
    assert "DOS" not in message and "decompression bomb" not in message.lower()
