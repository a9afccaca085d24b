"""Build VisionDesk's installers from a clean clone with one command.

    python3 packaging/build.py linux            # dist/: the .deb, a portable .tar.gz and the AppImage
    python3 packaging/build.py linux --no-vulkan  # the CPU-only llama.cpp flavour (much faster to build)
    python3 packaging/build.py appimage         # dist/VisionDesk-<version>-x86_64.AppImage alone

Everything happens under ``build/installer/``: its own virtual environment (VisionDesk installed from this
tree, not editable, with PyInstaller), the frozen one-folder app (``packaging/visiondesk.spec``) and the
package trees. llama.cpp comes from ``llama_lib_dir``: the distribution build of ``packaging/llama_dist.py``
(cached under ``~/.cache/visiondesk``), so a second run only re-freezes and re-packs.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = REPO / "build" / "installer"
DIST = REPO / "dist"
sys.path.insert(0, str(HERE))


def say(text: str) -> None:
    """A progress line (this is a command-line tool)."""
    print(f"[build] {text}", flush=True)


def run(cmd: list[str], **kw: object) -> None:
    """Run ``cmd``, failing the build on a non-zero exit."""
    say("$ " + " ".join(cmd))
    subprocess.run(cmd, check=True, **kw)  # type: ignore[call-overload]


def build_python() -> Path:
    """The build environment's interpreter: ``build/installer/venv``, made on first use."""
    folder = WORK / "venv"
    python = folder / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    if not python.exists():
        say(f"creating the build environment {folder}")
        venv.EnvBuilder(with_pip=True, clear=True).create(folder)
        run([str(python), "-m", "pip", "install", "-q", "-U", "pip", "setuptools", "wheel"])
    return python


def llama_lib_dir(python: Path, flavour: str) -> Path | None:
    """The folder of llama.cpp libraries to ship, with llama-cpp-python's bindings installed to match.

    The one place that decides where llama.cpp comes from: the distribution build (every CPU variant as a
    loadable module, ``packaging/llama_dist.py``, built once and cached). Without that recipe, None: the
    build falls back to the llama-cpp-python wheel pip builds, which is tuned to this machine's CPU.
    """
    try:
        import llama_dist  # type: ignore[import-not-found]
    except ImportError:
        say("WARNING: packaging/llama_dist.py is missing: shipping llama-cpp-python's own build, which "
            "GGML_NATIVE tunes to this CPU (it may die with 'illegal instruction' on an older one)")
        return None
    lib = Path(llama_dist.build(flavour))
    if not _bindings_only(python):  # none yet, or a full wheel with its own llama.cpp: the bindings alone
        llama_dist.install_python_package(python)
    return lib


def _bindings_only(python: Path) -> bool:
    """Whether ``python`` has llama-cpp-python installed without a llama.cpp of its own in ``llama_cpp/lib``."""
    out = subprocess.run([str(python), "-c", "import importlib.util as u; "
                          "print(list(u.find_spec('llama_cpp').submodule_search_locations)[0])"],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return False
    folder = Path(out.stdout.strip()) / "lib"
    return not (folder.is_dir() and any(folder.glob("*llama*")))


def install_project(python: Path) -> str:
    """Install VisionDesk (not editable) with the ``packaging`` extra; returns its version."""
    # setuptools' own build folders never forget a file: one deleted or moved in the tree would still ship.
    for stale in (REPO / "build" / "lib", *(REPO / "build").glob("bdist.*")):
        shutil.rmtree(stale, ignore_errors=True)
    run([str(python), "-m", "pip", "install", "-q", f"{REPO}[packaging]"])
    # The same version number from a changed tree: pip would keep the copy it has.
    run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(REPO)])
    out = subprocess.run([str(python), "-c", "from importlib.metadata import version; print(version('visiondesk'))"],
                         check=True, capture_output=True, text=True)
    return out.stdout.strip()


def freeze(python: Path, lib: Path | None) -> Path:
    """Run PyInstaller on ``packaging/visiondesk.spec``; returns the one-folder app."""
    env = {**os.environ, "VISIONDESK_LLAMA_LIB": str(lib or "")}
    started = time.monotonic()
    run([str(python), "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN", "--distpath", str(WORK / "dist"),
         "--workpath", str(WORK / "pyinstaller"), str(HERE / "visiondesk.spec")], env=env)
    say(f"frozen in {time.monotonic() - started:.0f} s")
    return WORK / "dist" / "visiondesk"


def main(argv: list[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", choices=["linux", "appimage"],
                        help="linux: the .deb, the .tar.gz and the AppImage; appimage: the AppImage alone "
                             "(Windows and macOS: packaging/README.md)")
    parser.add_argument("--no-vulkan", action="store_true", help="ship the CPU-only llama.cpp flavour")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[build] %(message)s")
    if hasattr(os, "nice"):
        os.nice(10)  # a long CPU- and disk-heavy job: let interactive work go first
    started = time.monotonic()
    WORK.mkdir(parents=True, exist_ok=True)
    python = build_python()
    lib = llama_lib_dir(python, "cpu" if args.no_vulkan else "vulkan")
    version = install_project(python)
    bundle = freeze(python, lib)
    import appimage
    import linux_package

    DIST.mkdir(exist_ok=True)
    outputs = [] if args.target == "appimage" else linux_package.build_all(bundle, version, WORK / "pkg", DIST, python)
    made = appimage.make_appimage(bundle, version, WORK / "pkg" / "appimage", DIST, python)  # None: skipped, said why
    if made is None and args.target == "appimage":
        return 1
    outputs += [made] if made else []
    say(f"done in {time.monotonic() - started:.0f} s")
    for path in outputs:
        print(f"{path}  {path.stat().st_size / 1e6:.1f} MB")
    shutil.rmtree(WORK / "pkg", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
