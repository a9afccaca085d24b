"""Build VisionDesk's Windows installer and macOS disk image: the Linux recipe's steps on the other two systems.

    python packaging/build_platforms.py windows   # on Windows x64: dist/VisionDesk-<version>-windows-x64-setup.exe
    python packaging/build_platforms.py macos     # on macOS arm64: dist/VisionDesk-<version>-macos-arm64.dmg

Neither runs on Linux; ``.github/workflows/packages.yml`` runs both on hosted runners. They are
``packaging/build.py linux`` with two parts swapped: the steps shared with it (its build environment, VisionDesk
installed from this tree, the one PyInstaller spec ``packaging/visiondesk.spec``) are build.py's own functions,
and llama.cpp is configured with packaging/llama_dist.py's flags, changed only where the system needs it:

- Windows: the same flags (``GGML_NATIVE=OFF``, ``GGML_BACKEND_DL=ON``, ``GGML_CPU_ALL_VARIANTS=ON``) plus the
  Vulkan module, built with MSVC and the Vulkan SDK; the installer is ``packaging/windows/visiondesk.iss``
  compiled with Inno Setup's ``iscc``.
- macOS (Apple silicon): the same flags with Metal (its shaders embedded) as the GPU module and the CPU
  variants Apple's chips have (M1, M2/M3, M4); the app is signed and notarised by
  ``packaging/macos/sign_and_notarize.sh`` when its environment holds the credentials (else signed ad hoc) and
  put into a disk image by ``packaging/macos/make_dmg.sh``.

``python packaging/build_platforms.py icons OUT`` (run inside the build environment, which has Qt and Pillow)
draws the .ico and .icns files from ``packaging/icons/visiondesk.svg``.
"""

from __future__ import annotations

import argparse
import json
import os
import plistlib
import re
import shutil
import subprocess
import sys
import tarfile
import time
from importlib import import_module
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
# The Linux recipe's modules beside this file: packaging/build.py (its steps) and packaging/llama_dist.py.
build = import_module("build")
llama_dist = import_module("llama_dist")

TARGETS = ("windows", "macos")
ICON_SVG = HERE / "icons" / "visiondesk.svg"
ISS = HERE / "windows" / "visiondesk.iss"
MACOS = HERE / "macos"
APP_BUNDLE = "VisionDesk.app"  # the BUNDLE the spec makes on macOS
MACOS_DEPLOYMENT_TARGET = "13.3"  # the oldest macOS with the Metal features llama.cpp uses; Info.plist says the same

# The Linux recipe's rpath, for ELF files only; macOS spells "the library's own folder" @loader_path.
_ELF_RPATH = "-DCMAKE_INSTALL_RPATH=$ORIGIN"
_PLATFORM_FLAGS = {
    "windows": ("-DGGML_VULKAN=ON",),
    "macos": ("-DGGML_METAL=ON", "-DGGML_METAL_EMBED_LIBRARY=ON", "-DCMAKE_OSX_ARCHITECTURES=arm64",
              f"-DCMAKE_OSX_DEPLOYMENT_TARGET={MACOS_DEPLOYMENT_TARGET}"),
}
# The GPU module first, so a toolchain that cannot build it fails in minutes (as in llama_dist.TARGETS).
_LLAMA_TARGETS = {"windows": ("ggml-vulkan", "llama", "mtmd"), "macos": ("ggml-metal", "llama", "mtmd")}
# What ships from the build's bin folder: libraries and ggml's backend modules (.so on macOS too).
_LIBRARY_GLOBS = {"windows": ("*.dll",), "macos": ("*.dylib", "*.so")}


def llama_flags(target: str) -> tuple[str, ...]:
    """The CMake flags of llama.cpp for ``target``: llama_dist's common flags, adapted to the system."""
    flags = [flag for flag in llama_dist.COMMON_FLAGS if not (target == "macos" and flag == _ELF_RPATH)]
    if target == "macos":
        flags.append("-DCMAKE_INSTALL_RPATH=@loader_path")
    return (*flags, *_PLATFORM_FLAGS[target])


def numeric_version(version: str) -> str:
    """``0.1.0`` or ``0.1.0rc2`` -> ``0.1.0.0``: Windows' file version has four numbers and nothing else."""
    found = re.match(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?", version)
    if not found:
        raise ValueError(f"version {version!r} does not start with a number")
    return ".".join(part or "0" for part in found.groups())


def iscc_command(iscc: str, version: str, bundle: Path, out: Path, icon: Path | None,
                 sign_command: str | None = None) -> list[str]:
    """The Inno Setup compiler's command line for ``bundle``, the frozen one-folder app.

    With ``sign_command`` (Inno Setup's ``$f`` standing for the file), Setup, the uninstaller and the two
    executables are signed with it.
    """
    defines = {"AppVersion": version, "AppVersionNumeric": numeric_version(version), "DistDir": str(bundle),
               "OutputDir": str(out)}
    if icon is not None:
        defines["IconFile"] = str(icon)
    signing = []
    if sign_command:  # e.g. 'signtool sign /fd sha256 /tr <timestamp URL> /td sha256 /f <cert.pfx> /p <password> $f'
        defines["SignInstaller"] = "1"
        signing = [f"/Ssigntool={sign_command}"]
    return [iscc, "/Qp", *signing, *(f"/D{key}={value}" for key, value in defines.items()), str(ISS)]


def find_iscc() -> str:
    """Inno Setup's compiler: ``$ISCC``, ``iscc`` on PATH, or where its installer puts it."""
    candidates = [os.environ.get("ISCC"), shutil.which("iscc")]
    for root in (os.environ.get("ProgramFiles(x86)"), os.environ.get("ProgramFiles")):
        if root:
            candidates.append(str(Path(root) / "Inno Setup 6" / "ISCC.exe"))
    for found in candidates:
        if found and Path(found).is_file():
            return found
    raise SystemExit("Inno Setup 6.3 or newer is needed (https://jrsoftware.org/isinfo.php; `choco install innosetup`)")


def llama_cache(target: str, ver: str) -> Path:
    """Where the finished build of ``target`` is kept: beside llama_dist's Linux builds."""
    return llama_dist.dist_dir("cpu", ver).parent / f"llama-dist-{ver}-{target}"


def build_llama(target: str) -> Path:
    """Build llama.cpp for ``target`` unless cached; returns the folder of libraries to ship."""
    ver = llama_dist.llama_cpp_python_version()
    final = llama_cache(target, ver)
    if (final / "build.json").is_file():
        return final / "lib"
    work = final.with_name(final.name + "-build")
    work.mkdir(parents=True, exist_ok=True)
    src = work / f"llama_cpp_python-{ver}" / "vendor" / "llama.cpp"
    if not src.is_dir():
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                        "-d", str(work), f"llama-cpp-python=={ver}"], check=True)
        with tarfile.open(work / f"llama_cpp_python-{ver}.tar.gz") as tf:
            tf.extractall(work, filter="data")
    flags = llama_flags(target)
    started = time.monotonic()
    build.run(["cmake", "-S", str(src), "-B", str(work / "build"), *flags])
    build.run(["cmake", "--build", str(work / "build"), "--config", "Release", "-j", str(os.cpu_count() or 2),
               "--target", *_LLAMA_TARGETS[target]])
    lib = final / "lib"
    lib.mkdir(parents=True, exist_ok=True)
    for pattern in _LIBRARY_GLOBS[target]:
        for found in (work / "build" / "bin").rglob(pattern):  # bin/Release/ with Visual Studio's generator
            shutil.copy2(found, lib / found.name)
    if not any(lib.glob("*ggml-cpu-*")):
        raise SystemExit(f"the llama.cpp build in {work} left no CPU backend modules (ggml-cpu-*)")
    info = {"llama_cpp_python": ver, "target": target, "cmake_flags": flags, "targets": _LLAMA_TARGETS[target],
            "build_seconds": round(time.monotonic() - started)}
    (final / "build.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    return lib


def render_icons(svg: Path, out: Path) -> dict[str, Path]:
    """Draw ``svg`` with Qt and write it as ``visiondesk.ico`` (16-256 px) and ``visiondesk.icns`` (16-1024 px)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # Qt paints only with an application
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not an SVG image Qt can draw")
    image = QImage(1024, 1024, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    out.mkdir(parents=True, exist_ok=True)
    png = out / "visiondesk-1024.png"
    if not image.save(str(png)):
        raise SystemExit(f"could not write {png}")
    made = {"ico": out / "visiondesk.ico", "icns": out / "visiondesk.icns"}
    with Image.open(png) as big:
        big.save(made["ico"], format="ICO", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
        big.save(made["icns"], format="ICNS")
    return made


def _icon(python: Path, kind: str) -> Path:
    out = build.WORK / "icons"
    build.run([str(python), str(Path(__file__).resolve()), "icons", str(out)])
    return out / f"visiondesk.{kind}"


def stamp_version(app: Path, version: str) -> None:
    """Write the project's version into ``app``'s Info.plist, which PyInstaller's BUNDLE leaves at its default."""
    plist = app / "Contents" / "Info.plist"
    info = plistlib.loads(plist.read_bytes())
    info["CFBundleShortVersionString"] = info["CFBundleVersion"] = version
    plist.write_bytes(plistlib.dumps(info))


def windows(python: Path, lib: Path, version: str) -> Path:
    """Freeze the app and compile the installer; returns it."""
    icon = _icon(python, "ico")
    os.environ["VISIONDESK_ICON"] = str(icon)
    bundle = build.freeze(python, lib)
    build.DIST.mkdir(exist_ok=True)
    sign = os.environ.get("WINDOWS_SIGN_COMMAND")
    if not sign:
        build.say("WINDOWS_SIGN_COMMAND is not set: the installer is not signed (SmartScreen will warn)")
    cmd = iscc_command(find_iscc(), version, bundle, build.DIST, icon, sign)
    build.say("$ " + " ".join(word for word in cmd if not word.startswith("/Ssigntool=")))  # it may hold a password
    subprocess.run(cmd, check=True)
    return build.DIST / f"VisionDesk-{version}-windows-x64-setup.exe"


def macos(python: Path, lib: Path, version: str) -> Path:
    """Freeze the app into VisionDesk.app, sign it where credentials are set, and put it into a disk image."""
    os.environ["VISIONDESK_ICON"] = str(_icon(python, "icns"))
    app = build.freeze(python, lib).parent / APP_BUNDLE
    if not app.is_dir():
        raise SystemExit(f"PyInstaller made no {app}: the spec's macOS branch (BUNDLE) did not run")
    stamp_version(app, version)
    signing = bool(os.environ.get("MACOS_SIGN_IDENTITY"))
    if signing:
        build.run([str(MACOS / "sign_and_notarize.sh"), "sign", str(app)])
    else:  # the Info.plist edit broke PyInstaller's ad-hoc seal: seal it again, still ad hoc
        build.say("MACOS_SIGN_IDENTITY is not set: the app is signed ad hoc")
        build.run(["codesign", "--force", "--deep", "--sign", "-", str(app)])
    dmg = build.DIST / f"VisionDesk-{version}-macos-arm64.dmg"
    build.run([str(MACOS / "make_dmg.sh"), str(app), str(dmg)])
    if signing and (os.environ.get("MACOS_NOTARY_PROFILE") or os.environ.get("APPLE_ID")):
        build.run([str(MACOS / "sign_and_notarize.sh"), "notarize", str(dmg)])
    else:
        build.say("no notary credentials (MACOS_NOTARY_PROFILE or APPLE_ID): the disk image is not notarised")
    return dmg


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="target", required=True)
    for target in TARGETS:
        sub.add_parser(target, help=f"build the {target} package (on {target} only)")
    icons = sub.add_parser("icons", help="draw the .ico and .icns icons (inside the build environment)")
    icons.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    if args.target == "icons":
        for path in render_icons(ICON_SVG, args.out).values():
            print(path)  # noqa: T201 - a command-line tool's answer
        return 0
    expected = {"windows": "win32", "macos": "darwin"}[args.target]
    if sys.platform != expected:
        parser.error(f"the {args.target} package is built on {args.target} (see packaging/README.md)")
    started = time.monotonic()
    build.WORK.mkdir(parents=True, exist_ok=True)
    python = build.build_python()
    lib = build_llama(args.target)
    llama_dist.install_python_package(python)  # the bindings alone: the build above is the one llama.cpp
    version = build.install_project(python)
    made = windows(python, lib, version) if args.target == "windows" else macos(python, lib, version)
    build.say(f"done in {time.monotonic() - started:.0f} s")
    print(f"{made}  {made.stat().st_size / 1e6:.1f} MB")  # noqa: T201 - as build.py prints its outputs
    return 0


if __name__ == "__main__":
    sys.exit(main())
