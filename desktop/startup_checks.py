"""Why the window cannot open, found before Qt aborts the process with nothing but "Aborted".

Qt's platform plugin (xcb on Linux) needs X11 libraries that minimal systems lack, and a display to talk to.
When either is missing Qt logs a warning and calls ``abort()``; these checks say the reason first, in words,
with the fix.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import PySide6

_PLUGINS = Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms"


def platform_name(env: Mapping[str, str]) -> str:
    """The Qt platform plugin this process will use (Qt's own choice on Linux when none is set)."""
    chosen = env.get("QT_QPA_PLATFORM", "").split(":")[0].split(";")[0].strip()
    if chosen:
        return chosen
    if sys.platform.startswith("linux"):
        return "wayland" if env.get("WAYLAND_DISPLAY") and not env.get("DISPLAY") else "xcb"
    return ""


def missing_libraries(plugin: Path) -> list[str]:
    """System libraries ``plugin`` needs that the dynamic loader cannot find (empty where ldd is absent)."""
    ldd = shutil.which("ldd")
    if ldd is None or not plugin.exists():
        return []
    try:
        out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    missing = [line.split("=>")[0].strip() for line in out.splitlines() if "not found" in line]
    return sorted(set(missing))


def platform_problem(env: Mapping[str, str] | None = None) -> str | None:
    """A sentence saying why Qt's platform plugin will not start, or None when nothing is known to be wrong."""
    env = os.environ if env is None else env
    name = platform_name(env)
    if name == "xcb":
        missing = missing_libraries(_PLUGINS / "libqxcb.so")
        if missing:
            packages = " ".join(_debian_package(lib) for lib in missing)
            return (f"VisionDesk cannot open its window: Qt's X11 platform plugin (xcb) needs system libraries "
                    f"that are not installed: {', '.join(missing)}. On Debian or Ubuntu: "
                    f"sudo apt install {packages}")
        if not env.get("DISPLAY"):
            return ("VisionDesk cannot open its window: no X11 display (the DISPLAY environment variable is not "
                    "set). Start it from a desktop session, or for a headless machine run it under Xvfb "
                    "(xvfb-run visiondesk), or use QT_QPA_PLATFORM=offscreen for tests.")
    if name == "wayland" and not env.get("WAYLAND_DISPLAY"):
        return ("VisionDesk cannot open its window: QT_QPA_PLATFORM is wayland but WAYLAND_DISPLAY is not set. "
                "Start it from a Wayland session, or set QT_QPA_PLATFORM=xcb.")
    return None


# Dialog programs a desktop usually has, tried in this order when Qt itself cannot show one.
_DIALOGS = (("zenity", "--error", "--title=VisionDesk", "--no-markup", "--text"),
            ("kdialog", "--title", "VisionDesk", "--error"),
            ("xmessage", "-center", "-buttons", "OK"))


def error_dialog(message: str, env: Mapping[str, str] | None = None) -> bool:
    """Show ``message`` in a dialog without Qt (zenity, kdialog or xmessage); False where none can open.

    Only with a display to show it on. A frozen app's bootloader points ``LD_LIBRARY_PATH`` at its own
    libraries; the system's dialog program gets the value from before (``LD_LIBRARY_PATH_ORIG``).
    """
    env = dict(os.environ if env is None else env)
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        return False
    if "LD_LIBRARY_PATH_ORIG" in env:
        env["LD_LIBRARY_PATH"] = env.pop("LD_LIBRARY_PATH_ORIG")
    elif getattr(sys, "frozen", False):
        env.pop("LD_LIBRARY_PATH", None)
    for program, *args in _DIALOGS:
        exe = shutil.which(program, path=env.get("PATH"))
        if exe is None:
            continue
        try:
            subprocess.run([exe, *args, message], env=env, timeout=600, check=False,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            continue
        return True
    return False


def _debian_package(library: str) -> str:
    """``libxcb-icccm.so.4`` → ``libxcb-icccm4`` (Debian's naming for shared libraries)."""
    stem, _, version = library.partition(".so.")
    base = stem if not version else f"{stem}{'-' if stem[-1].isdigit() else ''}{version.split('.')[0]}"
    return base
