"""Mesa's software Vulkan driver (lavapipe) from Debian backports, for running the vulkan flavour with no GPU.

ggml skips Vulkan devices of type CPU unless ``GGML_VK_VISIBLE_DEVICES`` names them, so with that switch
the shipped ``libggml-vulkan.so`` offloads to lavapipe: the module, its shaders and the engine's offload path
run through a real Vulkan driver on this machine. Debian 12's own lavapipe (Mesa 22.3) crashes on ggml's
shaders (SIGSEGV in the first prompt: the engine reports it and lives); Mesa 25.0 from bookworm-backports
answers. Its packages are fetched with ``apt-get download`` (Debian's archive, a package registry) into
``~/.cache/visiondesk/lavapipe-<version>`` and unpacked there; nothing is installed on the system.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

MESA = "25.0.7-2~bpo12+1"
PACKAGES = (f"mesa-vulkan-drivers={MESA}", "libdrm2/bookworm-backports", "libdrm-amdgpu1/bookworm-backports")
CACHE = Path.home() / ".cache" / "visiondesk" / f"lavapipe-{MESA.replace('~', '_')}"
SOURCES = """Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


def _fetch(into: Path) -> None:
    """Download the packages with a private package list (the system's apt configuration is not touched)."""
    with tempfile.TemporaryDirectory() as tmp:
        parts, lists = Path(tmp) / "sources", Path(tmp) / "lists"
        parts.mkdir()
        (lists / "partial").mkdir(parents=True)
        (parts / "backports.sources").write_text(SOURCES, encoding="utf-8")
        apt = ["-o", f"Dir::Etc::SourceParts={parts}", "-o", "Dir::Etc::SourceList=/dev/null",
               "-o", f"Dir::State::Lists={lists}"]
        subprocess.run(["apt-get", *apt, "update"], check=True, capture_output=True, timeout=600)
        subprocess.run(["apt-get", *apt, "download", *PACKAGES], check=True, capture_output=True, timeout=600,
                       cwd=into)


def lavapipe_env() -> dict[str, str]:
    """The environment that makes the vulkan flavour offload to Mesa 25's lavapipe (fetched on first use)."""
    root = CACHE / "root"
    icd = CACHE / "lvp_icd.json"
    if not icd.is_file():
        debs = CACHE / "debs"
        debs.mkdir(parents=True, exist_ok=True)
        if not list(debs.glob("*.deb")):
            _fetch(debs)
        for deb in debs.glob("*.deb"):
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True, timeout=120)
        library = root / "usr/lib/x86_64-linux-gnu/libvulkan_lvp.so"
        text = (root / "usr/share/vulkan/icd.d/lvp_icd.json").read_text(encoding="utf-8")
        part = icd.with_suffix(".part")
        part.write_text(text.replace('"libvulkan_lvp.so"', f'"{library}"'), encoding="utf-8")
        os.replace(part, icd)  # last: a half-made folder is not taken for a finished one
    libs = [str(root / "usr/lib/x86_64-linux-gnu"), *filter(None, [os.environ.get("LD_LIBRARY_PATH")])]
    return {"VK_ICD_FILENAMES": str(icd), "LD_LIBRARY_PATH": os.pathsep.join(libs),
            "GGML_VK_VISIBLE_DEVICES": "0",
            # Mesa keeps compiled pipelines here: the first run compiles ggml's shaders for minutes on 2 cores.
            "MESA_SHADER_CACHE_DIR": str(CACHE / "shader-cache")}
