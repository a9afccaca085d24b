"""Build (once) and locate llama.cpp's ``llama-server``, the real OpenAI-compatible server the remote tests use.

It is built from the llama.cpp that the installed llama-cpp-python vendors (its sdist), statically
(``-DBUILD_SHARED_LIBS=OFF``), so the binary stands alone. The build is cached outside the clone, keyed by
the llama-cpp-python version: ``$XDG_CACHE_HOME/visiondesk/llama-server-<version>/llama-server`` (``~/.cache``
without XDG), so a fresh CI machine builds it once (about 7 minutes on 2 cores) and every later run reuses it.
``VD_LLAMA_SERVER=/path/to/llama-server`` uses a binary built elsewhere.

    python tests/remote/llama_server_build.py     # build now (niced), print the path
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

log = logging.getLogger(__name__)

CMAKE_FLAGS = ("-DCMAKE_BUILD_TYPE=Release", "-DBUILD_SHARED_LIBS=OFF", "-DLLAMA_BUILD_SERVER=ON",
               "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_CURL=OFF", "-DLLAMA_OPENSSL=OFF")


def llama_cpp_python_version() -> str:
    """The installed llama-cpp-python's version: the llama.cpp source the server is built from."""
    try:
        return version("llama_cpp_python")
    except PackageNotFoundError as exc:
        raise RuntimeError("llama-cpp-python is not installed; install the project first "
                           "(pip install -e '.[test,dev]').") from exc


def cache_dir(ver: str | None = None) -> Path:
    """Where the server for llama-cpp-python ``ver`` is cached."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "visiondesk" / f"llama-server-{ver or llama_cpp_python_version()}"


def find_server() -> Path | None:
    """The cached (or ``VD_LLAMA_SERVER``) binary, or None when it has not been built yet."""
    override = os.environ.get("VD_LLAMA_SERVER")
    if override:
        return Path(override)
    binary = cache_dir() / "llama-server"
    return binary if binary.is_file() and os.access(binary, os.X_OK) else None


def _nice() -> None:
    os.nice(10)


def build_server(jobs: int = 2) -> Path:
    """Build llama-server for the installed llama-cpp-python unless cached; returns the binary's path.

    A file lock makes concurrent test sessions wait for one build instead of starting a second.
    """
    found = find_server()
    if found:
        return found
    ver = llama_cpp_python_version()
    out = cache_dir(ver)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = find_server()
        if found:
            return found
        log.warning("Building llama-server from llama-cpp-python %s's llama.cpp into %s "
                    "(once; about 7 minutes on 2 cores)...", ver, out)
        from tests.llama_dist_module import llama_dist  # the same sdist as the distribution build

        with tempfile.TemporaryDirectory(dir=out) as tmp_name:
            tmp = Path(tmp_name)
            with tarfile.open(llama_dist().sdist(ver, tmp)) as tf:
                tf.extractall(tmp, filter="data")
            src = tmp / f"llama_cpp_python-{ver}" / "vendor" / "llama.cpp"
            build = tmp / "build"
            gen = ["-G", "Ninja"] if shutil.which("ninja") else []
            with open(out / "build.log", "w") as fh:
                for cmd in (["cmake", "-S", str(src), "-B", str(build), *gen, *CMAKE_FLAGS],
                            ["cmake", "--build", str(build), "-j", str(jobs), "--target", "llama-server"]):
                    done = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, preexec_fn=_nice)
                    if done.returncode != 0:
                        raise RuntimeError(f"Building llama-server failed ({' '.join(cmd[:3])}...); "
                                           f"see {out / 'build.log'}")
            binary = out / "llama-server"
            shutil.copy2(build / "bin" / "llama-server", binary.with_suffix(".part"))
            os.replace(binary.with_suffix(".part"), binary)
    return binary


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script: ``tests`` importable
    logging.basicConfig(level=logging.INFO)
    print(build_server())
