"""The AppImage: the frozen folder as one executable file, ``VisionDesk-<version>-x86_64.AppImage``.

A type-2 AppImage is a small ELF program, the runtime, with a squashfs image of an AppDir appended. At start
the runtime finds the image where its own ELF ends (the end of its section header table or of its last
section, whichever is later: ``appimage_get_elf_size`` in runtime.c), mounts it with FUSE (``fusermount3``)
and runs ``AppRun`` at its root; ``--appimage-extract-and-run`` unpacks it into ``$TMPDIR`` instead, for
systems without FUSE. The AppDir here is the PyInstaller folder (the one the .deb ships as /opt/visiondesk,
with the system libraries PyInstaller copied kept inside, as in the portable .tar.gz), ``AppRun`` a link to its
``visiondesk`` executable, the menu entry and the icon.

Neither ``appimagetool`` nor the runtime is packaged by Debian, and both come from GitHub, which is out of
reach here. The runtime is compiled from a pinned commit of its source (``RUNTIME_GIT``, a clone or mirror of
github.com/AppImage/type2-runtime) against Debian's libsquashfuse, libfuse3 and compression libraries,
statically (as upstream does against musl), and cached in ``~/.cache/visiondesk/appimage-runtime-<commit>/``.

    python3 packaging/appimage.py runtime            # build the runtime if needed, print its path
    python3 packaging/appimage.py pack FOLDER        # an AppImage of a frozen folder into dist/
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
# AppImage/type2-runtime, 2025-11-08 ("Bump actions/upload-artifact from 4 to 5"): the newest commit of the mirror.
RUNTIME_COMMIT = "caf24f9f712084686bfc24a70b75e50df0aefb9c"
RUNTIME_GIT = Path(os.environ.get("VISIONDESK_APPIMAGE_RUNTIME_GIT", "/work/.mirror/AppImage+type2-runtime/repo"))
COMPAT = HERE / "linux" / "appimage"  # the squashfuse header Debian does not install (fuseprivate.h)
LIB_DIR = Path("/usr/lib/x86_64-linux-gnu")
# squashfuse's two libraries, libfuse3 and the decompressors Debian's libsquashfuse is built with.
LIBS = ("squashfuse_ll", "squashfuse", "fuse3", "zstd", "lz4", "lzo2", "lzma", "z")
BUILD_PACKAGES = ("gcc", "libsquashfuse-dev", "libfuse3-dev", "libzstd-dev", "liblz4-dev", "liblzo2-dev",
                  "liblzma-dev", "zlib1g-dev", "squashfs-tools")
MAGIC = b"AI\x02"  # at offset 8 of the ELF header (e_ident's padding): "type-2 AppImage" to desktop integrators


def _cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "visiondesk"


def elf_size(data: bytes) -> int:
    """Where a 64-bit little-endian ELF file ends, computed as the runtime does: the squashfs image starts there."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not a 64-bit little-endian ELF file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    last = shoff + shentsize * (shnum - 1)
    sh_offset, sh_size = struct.unpack_from("<QQ", data, last + 0x18)
    return max(shoff + shentsize * shnum, sh_offset + sh_size)


def why_not() -> str | None:
    """Why the AppImage cannot be built on this machine (the runtime's source or a tool missing), else None."""
    if not (RUNTIME_GIT / "HEAD").exists() and not (RUNTIME_GIT / ".git").exists():
        return (f"the AppImage runtime's source is not at {RUNTIME_GIT} (set VISIONDESK_APPIMAGE_RUNTIME_GIT to a "
                "clone of github.com/AppImage/type2-runtime)")
    has = subprocess.run(["git", "-C", str(RUNTIME_GIT), "cat-file", "-e", f"{RUNTIME_COMMIT}^{{commit}}"],
                         capture_output=True)
    if has.returncode != 0:
        return f"{RUNTIME_GIT} lacks the pinned runtime commit {RUNTIME_COMMIT}"
    missing = [tool for tool in ("gcc", "strip", "mksquashfs") if not shutil.which(tool)]
    missing += [str(header) for header in (Path("/usr/include/squashfuse/ll.h"),
                                           Path("/usr/include/fuse3/fuse_lowlevel.h")) if not header.exists()]
    missing += [f"lib{name}" for name in LIBS if not any(LIB_DIR.glob(f"lib{name}.*"))]
    if missing:
        return f"missing {', '.join(missing)} (Debian: apt-get install -y {' '.join(BUILD_PACKAGES)})"
    return None


def link_mode() -> str:
    """``static`` where every library's ``.a`` is installed (Debian's -dev packages have them), else ``dynamic``."""
    return "static" if all((LIB_DIR / f"lib{name}.a").exists() for name in LIBS) else "dynamic"


def runtime_dir(link: str) -> Path:
    """The cached runtime build for ``link``; it may not exist yet."""
    return _cache_root() / f"appimage-runtime-{RUNTIME_COMMIT[:12]}-{link}"


def build_runtime(link: str | None = None) -> Path:
    """The runtime ELF (``runtime-x86_64``), compiled from ``RUNTIME_COMMIT`` unless cached; returns its path.

    Static links need nothing on the target; a dynamic one needs the libraries listed in ``build.json``
    (``needs``: Debian's libsquashfuse0, libfuse3-3 and the decompressors). Either way mounting needs the
    target's ``fusermount3`` (Debian's ``fuse3`` package); ``--appimage-extract-and-run`` needs nothing.
    """
    link = link or link_mode()
    out = runtime_dir(link)
    if (out / "build.json").is_file():
        return out / "runtime-x86_64"
    reason = why_not()
    if reason:
        raise RuntimeError(reason)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="appimage-runtime-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        archive = subprocess.run(["git", "-C", str(RUNTIME_GIT), "archive", RUNTIME_COMMIT], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
        runtime_c = src / "src" / "runtime"
        exe = runtime_c / "runtime"
        # Upstream's Makefile flags, less clang, musl's -static-pie and mimalloc; no -Werror (gcc's -Wformat-overflow).
        cmd = ["gcc", "-std=gnu99", "-Os", "-D_FILE_OFFSET_BITS=64", f'-DGIT_COMMIT="{RUNTIME_COMMIT[:7]}"',
               f"-I{COMPAT}", "-I/usr/include/squashfuse", "-I/usr/include/fuse3", "-T", "data_sections.ld",
               "-ffunction-sections", "-fdata-sections", "-Wl,--gc-sections", "-Wall",
               *(["-static"] if link == "static" else []), "runtime.c", "-o", str(exe),
               *(f"-l{name}" for name in LIBS), "-lpthread", "-ldl"]
        done = subprocess.run(cmd, cwd=runtime_c, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"the AppImage runtime did not compile:\n$ {' '.join(cmd)}\n{done.stderr[-4000:]}")
        subprocess.run(["strip", "--strip-debug", "--strip-unneeded", str(exe)], check=True)
        data = bytearray(exe.read_bytes())
        data[8:11] = MAGIC  # after strip, as upstream's build-runtime.sh does: the linker cannot place it there
        if elf_size(bytes(data)) != len(data):
            raise RuntimeError("the stripped runtime does not end where its section headers say: the AppImage "
                               "would look for its squashfs at the wrong offset")
        needs = [] if link == "static" else _needed_libraries(exe)
        part = out.with_name(out.name + ".part")
        shutil.rmtree(part, ignore_errors=True)
        part.mkdir(parents=True)
        (part / "runtime-x86_64").write_bytes(bytes(data))
        (part / "runtime-x86_64").chmod(0o755)
        (part / "build.json").write_text(json.dumps({
            "commit": RUNTIME_COMMIT, "source": str(RUNTIME_GIT), "link": link, "command": cmd, "needs": needs,
            "size": len(data), "seconds": round(time.monotonic() - started, 1), "warnings": done.stderr,
        }, indent=2), encoding="utf-8")
        part.rename(out)
    log.info("AppImage runtime built (%s, %d bytes) in %s", link, len(data), out)
    return out / "runtime-x86_64"


def _needed_libraries(exe: Path) -> list[str]:
    """The shared libraries a dynamically linked runtime loads, glibc's own aside."""
    out = subprocess.run(["ldd", str(exe)], capture_output=True, text=True).stdout
    names = [line.split()[0] for line in out.splitlines() if "=>" in line]
    return [n for n in names if not n.startswith(("libc.so", "libpthread", "libdl.so", "libm.so", "linux-vdso"))]


def make_appdir(bundle: Path, work: Path, python: Path) -> Path:
    """The AppDir: ``bundle``'s files (hard links where possible), ``AppRun``, the menu entry and the icon."""
    import linux_package

    appdir = work / "AppDir"
    shutil.rmtree(appdir, ignore_errors=True)
    shutil.copytree(bundle, appdir, symlinks=True, copy_function=_link_or_copy)
    # The runtime execs AppRun; as a link, the frozen executable starts with no shell in between, and PyInstaller
    # finds its _internal folder through /proc/self/exe, inside the mounted image.
    (appdir / "AppRun").symlink_to("visiondesk")
    entry = linux_package.DESKTOP_ENTRY.format(mime=";".join(linux_package.MIME_TYPES))
    (appdir / "visiondesk.desktop").write_text(entry.replace("Exec=/usr/bin/visiondesk", "Exec=visiondesk"),
                                               encoding="utf-8")
    linux_package.render_icon(python, 256, appdir / "visiondesk.png")
    (appdir / ".DirIcon").symlink_to("visiondesk.png")
    return appdir


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:  # another file system
        shutil.copy2(src, dst)


def squashfs(appdir: Path, out: Path) -> Path:
    """``mksquashfs`` of ``appdir``: owned by root, zstd (Debian's libsquashfuse reads zstd, gzip, xz, lz4, lzo)."""
    out.unlink(missing_ok=True)
    subprocess.run(["mksquashfs", str(appdir), str(out), "-root-owned", "-noappend", "-comp", "zstd",
                    "-no-progress", "-quiet"], check=True, stdout=subprocess.DEVNULL)
    return out


def make_appimage(bundle: Path, version: str, work: Path, out_dir: Path, python: Path) -> Path | None:
    """``VisionDesk-<version>-x86_64.AppImage`` of ``bundle`` in ``out_dir``.

    None, with the reason logged, where this machine cannot build it (the runtime's source or a tool is missing).
    """
    cached = runtime_dir(link_mode()) / "build.json"
    reason = None if cached.is_file() and shutil.which("mksquashfs") else why_not()
    if reason:
        log.warning("AppImage skipped: %s", reason)
        return None
    runtime = build_runtime().read_bytes()
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    image = squashfs(make_appdir(bundle, work, python), work / "app.squashfs")
    log.info("AppImage: squashfs of the AppDir in %.0f s, %.1f MB", time.monotonic() - started,
             image.stat().st_size / 1e6)
    out = out_dir / f"VisionDesk-{version}-x86_64.AppImage"
    with open(out, "wb") as fh:
        fh.write(runtime)
        with open(image, "rb") as src:
            shutil.copyfileobj(src, fh, 1 << 20)
    out.chmod(0o755)
    image.unlink()
    shutil.rmtree(work / "AppDir", ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    runtime = sub.add_parser("runtime", help="build the runtime if needed and print its path")
    runtime.add_argument("--link", choices=["static", "dynamic"], help="default: static where the .a files exist")
    pack = sub.add_parser("pack", help="an AppImage of a frozen folder (build/installer/dist/visiondesk)")
    pack.add_argument("folder", type=Path)
    pack.add_argument("--out", type=Path, default=HERE.parent / "dist")
    pack.add_argument("--version", default="0.1.0")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[appimage] %(message)s")
    if args.command == "runtime":
        print(build_runtime(args.link))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="appimage-", dir=args.out) as work:
        made = make_appimage(args.folder.resolve(), args.version, Path(work), args.out, Path(sys.executable))
    if made is None:
        return 1
    print(f"{made}  {made.stat().st_size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
