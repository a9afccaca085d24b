"""Issue 19: the AppImage that ``packaging/build.py linux`` writes runs here, and answers about an image.

The runtime is compiled from the pinned type2-runtime commit against Debian's libraries (packaging/appimage.py);
this checks the layout the runtime relies on (the type-2 magic, the squashfs where its ELF ends), then the frozen
app through it: mounted with FUSE, unpacked with ``--appimage-extract-and-run``, and ``visiondesk ask`` with a
generated model pair. Shares the session's build with test_deb_package.py (``linux_packages``, conftest.py).
"""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import time
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image

from tests.model_factory import write_mmproj, write_text_model

REPO = Path(__file__).resolve().parents[2]


def _appimage_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("appimage", REPO / "packaging" / "appimage.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(cmd: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)


def _mounted_images() -> list[str]:
    with open("/proc/mounts", encoding="utf-8") as fh:
        return [line for line in fh if ".mount_VisionD" in line]


@pytest.mark.installer
def test_the_appimage_runs_mounted_and_unpacked_and_answers_about_an_image(linux_packages: dict[str, Path],
                                                                           tmp_path: Path) -> None:
    assert ".AppImage" in linux_packages, f"build.py wrote no AppImage (it says why in its output): {linux_packages}"
    image = linux_packages[".AppImage"]
    with open(image, "rb") as fh:
        head = fh.read(8 << 20)  # the runtime is ~1.6 MB
    assert head[:4] == b"\x7fELF" and head[8:11] == b"AI\x02"  # a type-2 AppImage to desktop integrators
    offset = _appimage_module().elf_size(head)
    assert head[offset:offset + 4] == b"hsqs"  # squashfs's magic, right where the runtime will look
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "APPIMAGE", "APPDIR")}
    env.update(VISIONDESK_DATA_DIR=str(tmp_path / "data"), TMPDIR=str(tmp_path))
    said = _run([str(image), "--appimage-offset"], env)
    assert said.stdout.strip() == str(offset), said.stdout + said.stderr

    fuse = os.access("/dev/fuse", os.R_OK | os.W_OK)
    mounted = _run([str(image), "--version"], env, timeout=120)
    if fuse:
        assert mounted.returncode == 0 and mounted.stdout.startswith("visiondesk "), mounted.stdout + mounted.stderr
        times = []
        for _ in range(5):
            started = time.monotonic()
            _run([str(image), "--version"], env, timeout=120)
            times.append(time.monotonic() - started)
        print(f"AppImage --version, mounted: median {statistics.median(times):.3f} s of 5")
    else:  # no FUSE here: the runtime says so and points to extraction
        assert "Cannot mount AppImage" in mounted.stdout + mounted.stderr, mounted.stdout + mounted.stderr
    unpacked = _run([str(image), "--appimage-extract-and-run", "--version"], env, timeout=300)
    assert unpacked.returncode == 0 and unpacked.stdout.startswith("visiondesk "), unpacked.stdout + unpacked.stderr
    if fuse:
        assert unpacked.stdout == mounted.stdout

    models = tmp_path / "models"
    models.mkdir()
    write_text_model(models / "tiny-chat.gguf")
    write_mmproj(models / "tiny-mmproj.gguf")
    Image.new("RGB", (64, 48), (200, 40, 40)).save(models / "red.png")
    mode = [] if fuse else ["--appimage-extract-and-run"]
    ask = _run([str(image), *mode, "ask", "--model", str(models / "tiny-chat.gguf"), "--mmproj",
                str(models / "tiny-mmproj.gguf"), "--image", str(models / "red.png"), "--temperature", "0",
                "--max-tokens", "8", "--stats", "What colour is this?"], env)
    assert ask.returncode == 0 and ask.stdout.strip(), ask.stdout + ask.stderr
    stats = json.loads(next(line for line in ask.stderr.splitlines() if line.startswith('{"ttft_ms"')))
    assert stats["images_encoded"] == 1 and stats["completion_tokens"] == 8, stats  # the engine's child, in the image

    deadline = time.monotonic() + 10  # the runtime's FUSE process unmounts once the app has exited
    while _mounted_images() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _mounted_images()
    assert not list(tmp_path.glob("appimage_extracted_*")), "--appimage-extract-and-run left its folder behind"
