"""The Linux packages around the frozen app: a .deb for /opt/visiondesk and a portable .tar.gz.

The .deb's ``Depends`` are the system libraries the bundle links against and does not carry, found with
``ldd`` on every ELF file of the bundle (the Qt platform plugins included) and mapped to their Debian
packages with ``dpkg -S``, so a clean system gets what the window needs and nothing else. The Vulkan loader
is only recommended: without it ggml skips its Vulkan module and runs on the CPU.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
PREFIX = "opt/visiondesk"
MIME_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp", "image/tiff", "image/heic",
              "image/avif")
RECOMMENDS = ("libvulkan1",)  # the GPU through its Vulkan driver
SUGGESTS = ("fonts-noto-cjk",)  # Chinese text in the window (the interface has a Simplified Chinese translation)
# Found by ldd but never a dependency: the dynamic loader and the Vulkan loader (recommended above).
NOT_DEPENDS = re.compile(r"^(linux-vdso|ld-linux|libvulkan)")
# Qt plugins used only where their system libraries already are (a Wayland session, an input method, a desktop
# portal); Qt skips one that cannot load. Their libraries are no dependency; the X11 (xcb) platform is.
OPTIONAL = re.compile(r"wayland|WlShell|platforminputcontexts/|platformthemes/", re.IGNORECASE)

DESKTOP_ENTRY = """[Desktop Entry]
Type=Application
Name=VisionDesk
GenericName=Image chat assistant
Comment=Chat with your images, privately and offline
Comment[zh_CN]=与你的图片对话，私密且离线
Exec=/usr/bin/visiondesk app %F
Icon=visiondesk
Terminal=false
Categories=Office;Graphics;Utility;
Keywords=AI;chat;image;vision;LLM;offline;
MimeType={mime};
StartupWMClass=VisionDesk
"""


def _elf_files(bundle: Path) -> list[Path]:
    files = []
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with open(path, "rb") as fh:
                if fh.read(4) == b"\x7fELF":
                    files.append(path)
    return sorted(files)


def system_libraries(bundle: Path) -> dict[str, Path]:
    """Every library the bundle needs from the system (optional plugins aside): soname -> path here.

    Raises if one is missing on this machine.
    """
    bundle = bundle.resolve()
    elves = _elf_files(bundle)
    env = {**os.environ, "LD_LIBRARY_PATH": os.pathsep.join(sorted({str(p.parent) for p in elves}))}
    found: dict[str, Path] = {}
    missing: dict[str, set[str]] = {}
    for elf in elves:
        if OPTIONAL.search(str(elf.relative_to(bundle))):
            continue
        out = subprocess.run(["ldd", str(elf)], capture_output=True, text=True, env=env).stdout
        for line in out.splitlines():
            name, _, where = line.strip().partition(" => ")
            target = where.split(" (")[0].strip()
            if where.startswith("not found"):
                missing.setdefault(name, set()).add(elf.name)
            elif target.startswith("/") and not Path(target).resolve().is_relative_to(bundle):
                found[name] = Path(target)
    missing = {k: v for k, v in missing.items() if not NOT_DEPENDS.match(k)}
    if missing:
        raise RuntimeError("libraries the bundle needs are not on this build machine: "
                           + "; ".join(f"{k} (for {', '.join(sorted(v))})" for k, v in sorted(missing.items())))
    return {k: v for k, v in found.items() if not NOT_DEPENDS.match(k)}


SYSTEM_LIB_DIRS = (Path("/lib/x86_64-linux-gnu"), Path("/usr/lib/x86_64-linux-gnu"), Path("/lib64"), Path("/usr/lib"))


def unbundle_system_libraries(bundle: Path) -> list[str]:
    """Remove the libraries PyInstaller copied from this machine's Debian packages; returns their names.

    The .deb takes them from the system instead (they become ``Depends``), so they get the system's security
    updates and never clash with the system's copies loaded by its GTK, D-Bus or GL. Only exact copies go
    (same bytes as the system file of that name, owned by a package); libraries from wheels stay.
    """
    removed = []
    for path in sorted(bundle.rglob("*.so*")):
        if not path.is_file() or path.is_symlink():
            continue
        system = next((d / path.name for d in SYSTEM_LIB_DIRS if (d / path.name).exists()), None)
        if system is None or system.resolve().read_bytes() != path.read_bytes():
            continue
        if any(subprocess.run(["dpkg", "-S", str(place)], capture_output=True).returncode == 0
               for place in _places(system)):
            path.unlink()
            removed.append(path.name)
    return removed


def _places(path: Path) -> list[Path]:
    """Where dpkg may know ``path`` from: as found, under /usr (merged /usr: /lib is a link), resolved."""
    usr = [Path("/usr", *path.parts[1:])] if path.parts[1] in ("lib", "lib64") else []
    return [path, *usr, path.resolve()]


def debian_packages(libraries: dict[str, Path]) -> list[str]:
    """The Debian packages holding ``libraries`` (``dpkg -S``), libc6 with the version built against."""
    packages: set[str] = set()
    for path in libraries.values():
        for candidate in _places(path):
            done = subprocess.run(["dpkg", "-S", str(candidate)], capture_output=True, text=True)
            if done.returncode == 0:
                packages.add(done.stdout.split(":")[0].split(",")[0].strip())
                break
        else:
            raise RuntimeError(f"no Debian package holds {path}")
    glibc = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libc6"], capture_output=True, text=True).stdout
    upstream = re.match(r"[0-9]+\.[0-9]+", glibc)
    return sorted(f"libc6 (>= {upstream.group(0)})" if p == "libc6" and upstream else p for p in packages)


def render_icon(python: Path, size: int, out: Path) -> Path:
    """``packaging/icons/visiondesk.svg`` as a ``size`` px PNG, drawn by Qt (the build environment's PySide6)."""
    code = ("import sys\nfrom PySide6.QtCore import Qt\nfrom PySide6.QtGui import QGuiApplication, QImage, QPainter\n"
            "from PySide6.QtSvg import QSvgRenderer\napp = QGuiApplication(['x'])\nn = int(sys.argv[2])\n"
            "img = QImage(n, n, QImage.Format.Format_ARGB32)\nimg.fill(Qt.GlobalColor.transparent)\n"
            "p = QPainter(img)\nQSvgRenderer(sys.argv[1]).render(p)\np.end()\nassert img.save(sys.argv[3])\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(python), "-c", code, str(HERE / "icons" / "visiondesk.svg"), str(size), str(out)],
                   check=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    return out


def _desktop_files(root: Path, python: Path) -> None:
    apps = root / "usr/share/applications"
    apps.mkdir(parents=True)
    (apps / "visiondesk.desktop").write_text(DESKTOP_ENTRY.format(mime=";".join(MIME_TYPES)), encoding="utf-8")
    icons = root / "usr/share/icons/hicolor"
    (icons / "scalable/apps").mkdir(parents=True)
    shutil.copy2(HERE / "icons" / "visiondesk.svg", icons / "scalable/apps/visiondesk.svg")
    for size in (48, 256):
        render_icon(python, size, icons / f"{size}x{size}/apps/visiondesk.png")


def _du_kib(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) // 1024 + 1


def make_deb(bundle: Path, version: str, work: Path, out_dir: Path, python: Path, compression: str = "xz") -> Path:
    """``visiondesk_<version>_amd64.deb``: the bundle in /opt/visiondesk, /usr/bin/visiondesk, menu entry, icons."""
    root = work / "deb"
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(bundle, root / PREFIX, symlinks=True)
    unbundled = unbundle_system_libraries(root / PREFIX)
    log.info("from the system instead of the bundle: %s", " ".join(unbundled))
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/visiondesk").symlink_to(f"/{PREFIX}/visiondesk")
    _desktop_files(root, python)
    depends = debian_packages(system_libraries(root / PREFIX))
    control = root / "DEBIAN" / "control"
    control.parent.mkdir()
    control.write_text(
        f"Package: visiondesk\nVersion: {version}\nArchitecture: amd64\nMaintainer: VisionDesk <visiondesk@localhost>\n"
        f"Installed-Size: {_du_kib(root)}\nDepends: {', '.join(depends)}\nRecommends: {', '.join(RECOMMENDS)}\n"
        f"Suggests: {', '.join(SUGGESTS)}\nSection: graphics\nPriority: optional\n"
        "Homepage: https://localhost/visiondesk\n"
        "Description: private desktop assistant that chats with your images, offline\n"
        " VisionDesk runs vision-language models (GGUF, through llama.cpp) on your own computer:\n"
        " drop an image on the window, ask about it, follow up. Nothing leaves the machine.\n", encoding="utf-8")
    for path in root.rglob("*"):  # dpkg wants no group/other-writable files
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() or os.access(path, os.X_OK) else 0o644)
    out = out_dir / f"visiondesk_{version}_amd64.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", f"-Z{compression}", "--build", str(root), str(out)], check=True,
                   stdout=subprocess.DEVNULL)
    shutil.rmtree(root, ignore_errors=True)
    return out


def make_tarball(bundle: Path, version: str, out_dir: Path) -> Path:
    """``visiondesk-<version>-linux-x86_64.tar.gz``: the folder, runnable where it is unpacked."""
    out = out_dir / f"visiondesk-{version}-linux-x86_64.tar.gz"
    top = f"visiondesk-{version}"

    def owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    with tarfile.open(out, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=top, filter=owned_by_root)
        readme = HERE / "linux" / "PORTABLE.txt"
        tar.add(readme, arcname=f"{top}/README.txt", filter=owned_by_root)
    return out


def build_all(bundle: Path, version: str, work: Path, out_dir: Path, python: Path) -> list[Path]:
    """Both packages; returns their paths."""
    work.mkdir(parents=True, exist_ok=True)
    return [make_deb(bundle, version, work, out_dir, python), make_tarball(bundle, version, out_dir)]
