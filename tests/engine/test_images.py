"""Hostile and odd images: each kind with its expected outcome, plus pixel identity."""

from __future__ import annotations

import io
import os
import shutil
import stat
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from visiondesk.engine import ImageError, ImageSource, Message, prepare_image
from visiondesk.engine.images import read_image_file
from visiondesk.engine.llama import LocalEngine

from tests.engine.conftest import run
from tests.model_factory import GeneratedModels


def _save(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def rgb() -> bytes:
    return _save(Image.new("RGB", (40, 30), (10, 20, 30)), "PNG")


def rgba_transparent() -> bytes:
    img = Image.new("RGBA", (40, 30), (255, 0, 0, 0))  # fully transparent red
    img.putpixel((0, 0), (0, 0, 255, 255))
    return _save(img, "PNG")


def palette_with_transparency() -> bytes:
    img = Image.new("P", (40, 30), 1)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    return _save(img, "PNG", transparency=1)


def la() -> bytes:
    return _save(Image.new("LA", (40, 30), (128, 255)), "PNG")


def grey() -> bytes:
    return _save(Image.new("L", (40, 30), 77), "PNG")


def bilevel() -> bytes:
    return _save(Image.new("1", (40, 30), 1), "PNG")


def cmyk_jpeg() -> bytes:
    return _save(Image.new("CMYK", (40, 30), (0, 255, 255, 0)), "JPEG")


def sixteen_bit() -> bytes:
    a = np.linspace(0, 65535, 40 * 30).astype(np.uint16).reshape(30, 40)
    img = Image.fromarray(a)
    assert img.mode.startswith("I;16")
    return _save(img, "PNG")


def int32_tiff() -> bytes:
    return _save(Image.fromarray(np.arange(1200, dtype=np.int32).reshape(30, 40), "I"), "TIFF")


def float_tiff() -> bytes:
    return _save(Image.fromarray(np.linspace(-1, 1, 1200, dtype=np.float32).reshape(30, 40), "F"), "TIFF")


def exif_rotated() -> bytes:
    img = Image.new("RGB", (40, 30), (200, 200, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    return _save(img, "JPEG", exif=exif)


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (40, 30), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    return _save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)


def webp() -> bytes:
    return _save(Image.new("RGB", (40, 30), (1, 2, 3)), "WEBP")


def bmp() -> bytes:
    return _save(Image.new("RGB", (40, 30), (1, 2, 3)), "BMP")


def truncated_png() -> bytes:
    data = _save(Image.effect_noise((200, 200), 50).convert("RGB"), "PNG")
    return data[: len(data) // 2]


def bomb_png() -> bytes:
    """A tiny file that claims 30000×30000 pixels."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", 30000, 30000, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 100))
            + chunk(b"IEND", b""))


def one_pixel() -> bytes:
    return _save(Image.new("RGB", (1, 1)), "PNG")


def panorama() -> bytes:
    return _save(Image.new("RGB", (2000, 3)), "PNG")


OK: dict[str, tuple[Callable[[], bytes], tuple[int, int]]] = {
    "rgb png": (rgb, (40, 30)),
    "rgba with transparency": (rgba_transparent, (40, 30)),
    "palette with transparency": (palette_with_transparency, (40, 30)),
    "grey with alpha (LA)": (la, (40, 30)),
    "greyscale": (grey, (40, 30)),
    "1-bit": (bilevel, (40, 30)),
    "CMYK jpeg": (cmyk_jpeg, (40, 30)),
    "16-bit greyscale": (sixteen_bit, (40, 30)),
    "32-bit integer tiff": (int32_tiff, (40, 30)),
    "float tiff": (float_tiff, (40, 30)),
    "exif rotated jpeg": (exif_rotated, (30, 40)),
    "animated gif": (animated_gif, (40, 30)),
    "webp": (webp, (40, 30)),
    "bmp": (bmp, (40, 30)),
    "very wide panorama": (panorama, (2000, 3)),
}

BAD: dict[str, tuple[Callable[[], bytes], str]] = {
    "zero bytes": (lambda: b"", "empty"),
    "truncated png": (truncated_png, "truncated or damaged"),
    "text renamed to png": (lambda: b"just some notes\n" * 10, "not an image"),
    "html renamed to png": (lambda: b"<html><img src='http://example.com/x.png'></html>", "not an image"),
    "decompression bomb": (bomb_png, "limit"),
    "one pixel": (one_pixel, "nothing can be seen"),
    "png signature only": (lambda: b"\x89PNG\r\n\x1a\n", "damaged"),
}


@pytest.mark.parametrize("kind", sorted(OK))
def test_odd_images_become_rgb(kind: str, tmp_path: Path) -> None:
    make, size = OK[kind]
    path = tmp_path / f"{kind.replace(' ', '_')}.img"
    path.write_bytes(make())
    img = prepare_image(path)
    assert (img.width, img.height) == size
    assert len(img.rgb) == img.width * img.height * 3


@pytest.mark.parametrize("kind", sorted(BAD))
def test_hostile_images_get_clear_errors(kind: str, tmp_path: Path) -> None:
    make, words = BAD[kind]
    path = tmp_path / "upload.png"
    path.write_bytes(make())
    with pytest.raises(ImageError) as info:
        prepare_image(path, max_pixels=40_000_000)
    assert "upload.png" in str(info.value)
    assert words in str(info.value)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="does not exist"):
        prepare_image(tmp_path / "gone.jpg")
    with pytest.raises(ImageError, match="folder"):
        prepare_image(tmp_path)


def test_configured_pixel_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.png"
    Image.new("RGB", (1200, 1000)).save(path)
    assert prepare_image(path).width == 1200
    with pytest.raises(ImageError, match="1,000,000"):
        prepare_image(path, max_pixels=1_000_000)


def test_transparency_becomes_white_and_first_frame_is_used(tmp_path: Path) -> None:
    img = prepare_image(ImageSource(data=rgba_transparent(), name="t.png"))
    assert img.rgb[3 * 5: 3 * 5 + 3] == b"\xff\xff\xff"  # transparent → white
    assert img.rgb[0:3] == b"\x00\x00\xff"  # opaque blue stays
    gif = prepare_image(ImageSource(data=animated_gif(), name="a.gif"))
    r, g, b = gif.rgb[0:3]
    assert r > 200 and g < 50 and b < 50  # the red first frame


def test_identity_follows_pixels_not_names(tmp_path: Path) -> None:
    a = tmp_path / "a.png"
    Image.new("RGB", (20, 20), (5, 5, 5)).save(a)
    b = tmp_path / "renamed copy.png"
    shutil.copy(a, b)
    c = tmp_path / "edited.png"
    img = Image.open(a)
    img.putpixel((3, 3), (6, 5, 5))
    img.save(c)
    assert prepare_image(a).digest == prepare_image(b).digest
    assert prepare_image(a).digest != prepare_image(c).digest


@pytest.mark.parametrize("kind", ["CMYK jpeg", "16-bit greyscale", "rgba with transparency", "exif rotated jpeg"])
def test_odd_images_reach_the_model(kind: str, engine: LocalEngine, tmp_path: Path) -> None:
    path = tmp_path / "odd.img"
    path.write_bytes(OK[kind][0]())
    text, fin, _ = run(engine, [Message.user("What is this?", path)])
    assert fin.error is None and text


def test_unusable_image_in_a_chat_is_an_error_event(engine: LocalEngine, tmp_path: Path) -> None:
    bad = tmp_path / "receipt.jpg"
    bad.write_bytes(truncated_png())
    _, fin, _ = run(engine, [Message.user("Total?", bad)])
    assert isinstance(fin.error, ImageError) and "receipt.jpg" in str(fin.error)


# ---- paths that lead to no regular file, and sizes over the limit: refused before reading ----------------

def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.png"
    os.mkfifo(path)
    return path


def _sparse_3gb(tmp_path: Path) -> Path:
    path = tmp_path / "huge.png"
    with path.open("wb") as f:
        f.write(rgb())
    os.truncate(path, 3 * 10**9)  # sparse: no disk used, but reading it would take 3 GB of memory
    return path


def _link_loop(tmp_path: Path) -> Path:
    path = tmp_path / "loop.png"
    path.symlink_to(path)
    return path


NOT_A_FILE: dict[str, tuple[Callable[[Path], Path], str]] = {
    "fifo": (_fifo, "it is a named pipe (FIFO), not an image file."),
    "/dev/zero": (lambda _: Path("/dev/zero"), "it is a device, not an image file."),
    "folder": (lambda tmp: tmp, "it is a folder, not an image file."),
    "3 GB sparse file": (_sparse_3gb, "it is 3.0 GB; images larger than 200.0 MB are not accepted"),
    "symlink loop": (_link_loop, "it is a symbolic link that leads back to itself (a link loop)"),
}


def _prepare_within(path: Path, seconds: float) -> BaseException | None:
    """prepare_image on a thread: a hang is a failure here, not a stuck test run."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            prepare_image(path)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        if stat.S_ISFIFO(os.stat(path).st_mode):
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # let the blocked reader go
        pytest.fail(f"prepare_image hung on {path}")
    return outcome[0]


@pytest.mark.parametrize("kind", sorted(NOT_A_FILE))
def test_path_that_is_no_regular_file_is_refused_unread(kind: str, tmp_path: Path) -> None:
    make, sentence = NOT_A_FILE[kind]
    path = make(tmp_path)
    t0 = time.monotonic()
    error = _prepare_within(path, 10)
    assert isinstance(error, ImageError), error
    assert time.monotonic() - t0 < 5
    assert str(error).startswith(f"Cannot use the image {path}: {sentence}")
    assert "does not exist" not in str(error)


def test_byte_limit_holds_for_files_and_for_bytes_given_directly(tmp_path: Path) -> None:
    data = rgb()
    path = tmp_path / "small.png"
    path.write_bytes(data)
    assert prepare_image(path, max_bytes=len(data)).width == 40
    with pytest.raises(ImageError, match=f"{len(data) - 1:,} bytes are not accepted"):
        prepare_image(path, max_bytes=len(data) - 1)
    assert read_image_file(path) == data  # what front ends that store the file itself use
    with pytest.raises(ImageError, match="it is a device"):
        read_image_file(Path("/dev/zero"))
    pasted = ImageSource(data=data, name="pasted.png")
    assert prepare_image(pasted, max_bytes=len(data)).width == 40
    with pytest.raises(ImageError, match=r"Cannot use the image pasted.png: it is .* bytes; images larger"):
        prepare_image(pasted, max_bytes=len(data) - 1)


def test_dangling_link_says_where_it_points(tmp_path: Path) -> None:
    link = tmp_path / "photo.png"
    link.symlink_to(tmp_path / "moved-away.png")
    with pytest.raises(ImageError, match="it is a symbolic link to .*moved-away.png, which does not exist"):
        prepare_image(link)


def _ask(models: GeneratedModels, image: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "visiondesk", "ask", "--model", str(models.model), "--mmproj",
                        str(models.mmproj), "--threads", "1", "--ctx", "512", "--max-tokens", "4", "--image",
                        str(image), "What is this?"], capture_output=True, text=True, timeout=120)
    return r, time.monotonic() - t0


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "folder", "3 GB sparse file"])
def test_ask_refuses_such_an_image_with_one_line(kind: str, test_models: GeneratedModels, tmp_path: Path) -> None:
    make, sentence = NOT_A_FILE[kind]
    path = make(tmp_path)
    r, seconds = _ask(test_models, path)
    assert r.returncode == 2, r.stderr
    messages = [line for line in r.stderr.splitlines() if line.startswith("visiondesk:")]
    assert len(messages) == 1 and messages[0].startswith(f"visiondesk: Cannot use the image {path}: {sentence}")
    assert "Traceback" not in r.stderr
    assert seconds < 60
