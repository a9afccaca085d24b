"""A clean Debian system to install the .deb into (a chroot), and an X server to show its window on.

Used by packaging/test_deb.py. Root only: mmdebstrap ``--mode=root``, ``chroot`` and bind mounts.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from types import TracebackType

SUITE = "bookworm"
MIRRORS = (f"deb http://deb.debian.org/debian {SUITE} main", f"deb http://deb.debian.org/debian {SUITE}-updates main",
           f"deb http://deb.debian.org/debian-security {SUITE}-security main")
HOST_TOOLS = {"mmdebstrap": "mmdebstrap", "Xvfb": "xvfb", "xwininfo": "x11-utils"}
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"
# What VisionDesk runs in the test runs without a network: a namespace of its own with no interface up. The X
# socket still works: it is a file (bind-mounted), not an abstract socket of the host's network namespace.
OFFLINE = [shutil.which("unshare") or "/usr/bin/unshare", "--net"]
ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
USER_ENV = {"HOME": "/home/tester", "USER": "tester", "LOGNAME": "tester", "LANG": "C.UTF-8",
            "PATH": "/usr/local/bin:/usr/bin:/bin"}


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/visiondesk`` (``~/.cache/visiondesk``)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "visiondesk"


def host_tools() -> None:
    """Install what the test needs on the host (mmdebstrap, Xvfb, xwininfo) where it is missing."""
    missing = sorted({pkg for tool, pkg in HOST_TOOLS.items() if shutil.which(tool) is None})
    if missing:
        print(f"installing on the host: {' '.join(missing)}", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def base_tarball() -> Path:
    """Debian ``minbase`` (no Python, no compiler) as a tarball, made once with mmdebstrap and cached."""
    tar = cache_dir() / f"debian-{SUITE}-minbase.tar"
    if not tar.exists():
        tar.parent.mkdir(parents=True, exist_ok=True)
        part = tar.with_suffix(".part.tar")
        started = time.monotonic()
        subprocess.run(["mmdebstrap", "--quiet", "--variant=minbase", "--mode=root", "--format=tar", SUITE, str(part),
                        *MIRRORS], check=True)
        part.rename(tar)
        print(f"made {tar} in {time.monotonic() - started:.0f} s", flush=True)
    return tar


def sha256(path: Path) -> str:
    """The file's SHA-256."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def du(folder: Path) -> int:
    """Bytes of the regular files under ``folder``."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def biggest(folder: Path, count: int) -> list[str]:
    """The ``count`` largest entries two levels down (folders summed), as "12.3 MB path"."""
    sizes: dict[Path, int] = {}
    for p in folder.rglob("*"):
        if p.is_file() and not p.is_symlink():
            rel = p.relative_to(folder)
            key = Path(*rel.parts[:3]) if len(rel.parts) > 3 else rel
            sizes[key] = sizes.get(key, 0) + p.stat().st_size
    top = sorted(sizes.items(), key=lambda kv: -kv[1])[:count]
    return [f"{size / 1e6:6.1f} MB  {path}" for path, size in top]


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) process ``pid`` has used so far: a start-up cost that other load does not inflate."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_or_kill(proc: subprocess.Popen[bytes], seconds: float) -> int:
    """The exit code within ``seconds``, else kill it and return -9."""
    try:
        return proc.wait(seconds)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return -9


class Chroot:
    """The base system unpacked into ``root``, with /proc, /sys, /dev and the host's X socket mounted."""

    def __init__(self, tarball: Path, root: Path) -> None:
        self.tarball = tarball
        self.root = root
        self._mounts: list[Path] = []

    def __enter__(self) -> Chroot:
        self.root.mkdir(parents=True)
        subprocess.run(["tar", "-xf", str(self.tarball), "-C", str(self.root)], check=True)
        shutil.copy2("/etc/resolv.conf", self.root / "etc/resolv.conf")  # apt inside reaches the mirror
        self._mount(["-t", "proc", "proc"], "proc")
        self._mount(["--rbind", "/sys"], "sys")
        self._mount(["--rbind", "/dev"], "dev")
        (self.root / "tmp/.X11-unix").mkdir(exist_ok=True)
        self._mount(["--bind", "/tmp/.X11-unix"], "tmp/.X11-unix")
        return self

    def _mount(self, how: list[str], where: str) -> None:
        target = self.root / where
        subprocess.run(["mount", *how, str(target)], check=True)
        self._mounts.append(target)
        if "--rbind" in how:  # unmounting it later must not unmount the host's
            subprocess.run(["mount", "--make-rslave", str(target)], check=True)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for target in reversed(self._mounts):
            subprocess.run(["umount", "-R", "-l", str(target)], check=False)
        mounted = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()
                   if line.split()[1].startswith(str(self.root))]
        if mounted:  # never delete through a mount into the host's /dev or /sys
            raise RuntimeError(f"still mounted, not removing {self.root}: {mounted}")
        shutil.rmtree(self.root, ignore_errors=True)

    def run(self, cmd: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """``cmd`` as root inside."""
        return subprocess.run([CHROOT, str(self.root), *cmd], capture_output=True, text=True, timeout=timeout,
                              env={**USER_ENV, "HOME": "/root", "USER": "root", "PATH": ROOT_PATH})

    def apt(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        """``apt-get`` inside (``update`` first, once)."""
        if not any((self.root / "var/lib/apt/lists").glob("*Packages*")):
            self.run(["apt-get", "update", "-qq"])
        return subprocess.run([CHROOT, str(self.root), "apt-get", "-q", *args], capture_output=True, text=True,
                              timeout=900, env={**USER_ENV, "HOME": "/root", "PATH": ROOT_PATH,
                                                "DEBIAN_FRONTEND": "noninteractive"})

    def add_user(self) -> None:
        """The ordinary user ``tester`` (uid 1000) the app runs as."""
        self.run(["useradd", "--create-home", "--uid", "1000", "--user-group", "--shell", "/bin/sh", "tester"])

    def _user_cmd(self, cmd: list[str], env: dict[str, str] | None) -> list[str]:
        pairs = [f"{k}={v}" for k, v in {**USER_ENV, **(env or {})}.items()]
        return [*OFFLINE, CHROOT, "--userspec=1000:1000", str(self.root), "/usr/bin/env", "-i", *pairs, *cmd]

    def user(self, cmd: list[str], env: dict[str, str] | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """``cmd`` as the user ``tester`` inside, offline, with a clean environment plus ``env``."""
        return subprocess.run(self._user_cmd(cmd, env), capture_output=True, text=True, timeout=timeout)

    def user_popen(self, cmd: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        """``cmd`` as ``tester``, not waited for (``unshare``, ``chroot`` and ``env`` exec it: the pid is the app's)."""
        return subprocess.Popen(self._user_cmd(cmd, env), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


class Xvfb:
    """An X server on the host, on a free display; its socket is what the chroot's /tmp/.X11-unix shows."""

    def __init__(self) -> None:
        number = next(n for n in range(91, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists()
                      and not Path(f"/tmp/.X{n}-lock").exists())
        self.display = f":{number}"
        self._socket = Path(f"/tmp/.X11-unix/X{number}")
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Xvfb:
        self._proc = subprocess.Popen(["Xvfb", self.display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        until = time.monotonic() + 30
        while not self._socket.exists():
            if time.monotonic() > until or self._proc.poll() is not None:
                raise RuntimeError(f"Xvfb did not start on {self.display}")
            time.sleep(0.05)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self._proc is not None:
            self._proc.terminate()
            wait_or_kill(self._proc, 10)

    def wait_for_window(self, name: str, timeout: float) -> float | None:
        """The monotonic time a viewable top-level window whose title holds ``name`` was first seen, or None."""
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            tree = subprocess.run(["xwininfo", "-display", self.display, "-root", "-tree"], capture_output=True,
                                  text=True).stdout
            for wid in re.findall(rf'^\s+(0x[0-9a-f]+) "[^"]*{re.escape(name)}[^"]*"', tree, re.MULTILINE):
                info = subprocess.run(["xwininfo", "-display", self.display, "-id", wid], capture_output=True,
                                      text=True).stdout
                if "IsViewable" in info:
                    return time.monotonic()
            time.sleep(0.02)
        return None

    def screenshot(self, python: Path, out: Path) -> None:
        """The whole screen as a PNG, grabbed by Qt (``python`` must have PySide6)."""
        code = ("import sys\nfrom PySide6.QtGui import QGuiApplication\napp = QGuiApplication(['shot'])\n"
                "assert app.primaryScreen().grabWindow(0).save(sys.argv[1])\n")
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([str(python), "-c", code, str(out)], check=True,
                       env={**os.environ, "DISPLAY": self.display, "QT_QPA_PLATFORM": "xcb"})
