"""A Vulkan SDK for building llama.cpp's Vulkan backend on Debian 12, made of Debian 13 packages.

Debian 12's Vulkan headers (1.3.239) are too old for the vendored llama.cpp (it uses ``VK_EXT_layer_settings``),
and its ``glslc`` (shaderc 2023.2) lacks the GLSL extensions for cooperative matrices, integer dot products and
bfloat16, so the shaders that make Vulkan fast on recent GPUs would be left out. Debian 13's headers and glslc
are current, but its glslc needs glibc 2.38; building the whole library on Debian 13 would raise the
installer's glibc floor to 2.38 too. So only the build tools come from Debian 13: its headers, SPIR-V headers
and glslc, the latter run through Debian 13's own dynamic loader and libc, unpacked (never installed) into
``$XDG_CACHE_HOME/visiondesk/vulkan-sdk-<version>/``, laid out as the LunarG SDK is (``include``, ``lib``,
``bin``), so CMake finds it through ``VULKAN_SDK``. The libraries built still need only Debian 12's glibc;
SPIR-V shaders carry no glibc dependency.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

SUITE = "trixie"
PACKAGES = ("libvulkan-dev", "spirv-headers", "glslc", "libshaderc1", "libc6", "libstdc++6", "libgcc-s1")
VERSION_PACKAGE = "libvulkan-dev"
SYSTEM_LOADER = Path("/usr/lib/x86_64-linux-gnu/libvulkan.so.1")
GLSLC_WRAPPER = """#!/bin/sh
# Debian 13's glslc on its own loader and libc (see packaging/vulkan_sdk.py).
R="{root}"
exec "$R/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "$R/usr/lib/x86_64-linux-gnu" \\
  "$R/usr/bin/glslc" "$@"
"""


def _apt(tmp: Path) -> list[str]:
    """apt-get options that read Debian 13's package lists from ``tmp``, leaving the system's sources alone."""
    (tmp / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    sources = tmp / "sources.list"
    sources.write_text(f"deb http://deb.debian.org/debian {SUITE} main\n", encoding="utf-8")
    return [f"-oDir::Etc::SourceList={sources}", "-oDir::Etc::SourceParts=/nonexistent",
            f"-oDir::State::Lists={tmp / 'lists'}", "-oAPT::Architecture=amd64", "-oAPT::Architectures=amd64"]


def _cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "visiondesk"


def find_sdk() -> Path | None:
    """An SDK made earlier (the newest), or None."""
    found = sorted(_cache_root().glob("vulkan-sdk-*/bin/glslc"))
    return found[-1].parent.parent if found else None


def make_sdk() -> Path:
    """Download and unpack the SDK unless there is one; returns its folder (for ``VULKAN_SDK``)."""
    found = find_sdk()
    if found:
        return found
    if not shutil.which("apt-get") or not SYSTEM_LOADER.is_file():
        raise RuntimeError("making a Vulkan SDK needs apt-get and the Vulkan loader (apt-get install -y libvulkan1)")
    root = _cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root) as tmp_name:
        tmp = Path(tmp_name)
        opts = _apt(tmp)
        subprocess.run(["apt-get", *opts, "update", "-qq"], check=True)
        shown = subprocess.run(["apt-cache", *opts, "show", "--no-all-versions", VERSION_PACKAGE], check=True,
                               capture_output=True, text=True).stdout
        version = next(line.split()[1] for line in shown.splitlines() if line.startswith("Version:"))
        debs = tmp / "debs"
        debs.mkdir()
        subprocess.run(["apt-get", *opts, "download", "-qq", *PACKAGES], cwd=debs, check=True)
        sdk = tmp / "sdk"
        tools = sdk / "toolroot"
        tools.mkdir(parents=True)
        for deb in sorted(debs.glob("*.deb")):
            subprocess.run(["dpkg-deb", "-x", str(deb), str(tools)], check=True)
        (sdk / "include").symlink_to("toolroot/usr/include")
        (sdk / "share").symlink_to("toolroot/usr/share")
        (sdk / "lib").mkdir()
        (sdk / "lib" / "libvulkan.so").symlink_to(SYSTEM_LOADER)  # linked against the system's loader
        (sdk / "bin").mkdir()
        final = root / f"vulkan-sdk-{version.split('-')[0]}"
        wrapper = sdk / "bin" / "glslc"
        wrapper.write_text(GLSLC_WRAPPER.format(root=final / "toolroot"), encoding="utf-8")
        wrapper.chmod(0o755)
        os.replace(sdk, final)
    log.warning("Vulkan SDK from Debian %s packages in %s", SUITE, final)
    return final
