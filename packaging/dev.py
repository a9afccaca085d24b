"""Set up a fresh clone and start the app, or run every check: one command each.

    python3 packaging/dev.py app          # create/reuse .venv, install, start VisionDesk
    python3 packaging/dev.py test         # create/reuse .venv, install, lint, type-check, all tests
    python3 packaging/dev.py test --fast  # the same without the slow real-model tests

Only Python >= 3.11 with pip and venv, and a C/C++ toolchain with CMake (llama-cpp-python builds
llama.cpp from source the first time; pip caches the wheel) are assumed. Set CMAKE_ARGS before the
first run for GPU builds, e.g. CMAKE_ARGS="-DGGML_CUDA=on" or CMAKE_ARGS="-DGGML_METAL=on".
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("VISIONDESK_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
QT_FREE = ("engine", "models", "core", "batch", "api", "cli")  # strict mypy; import-linter keeps Qt out of them


def say(text: str) -> None:
    """Progress on stderr."""
    print(f"[dev] {text}", file=sys.stderr, flush=True)


def run(*cmd: str | Path, env: dict[str, str] | None = None) -> None:
    """Run a command, stopping everything if it fails."""
    say(" ".join(str(c) for c in cmd))
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, env=env)
    if result.returncode != 0:
        say(f"failed with exit code {result.returncode}")
        sys.exit(result.returncode)


def setup(extras: str) -> None:
    """Create or reuse the virtual environment and install VisionDesk into it (editable)."""
    if sys.version_info < (3, 11):  # noqa: UP036 - a clear message for users of an older Python
        sys.exit("VisionDesk needs Python 3.11 or newer.")
    if not PY.exists():
        say(f"creating {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
        run(PY, "-m", "pip", "install", "-q", "--upgrade", "pip", "setuptools", "wheel")
    say("installing VisionDesk and its dependencies (the first time, llama.cpp compiles: several minutes)")
    run(PY, "-m", "pip", "install", "-q", "-e", f".[{extras}]")


def app(qt_args: list[str]) -> int:
    """Start the desktop app."""
    setup("test")
    return subprocess.call([str(BIN / "visiondesk"), "app", *qt_args], cwd=ROOT)


def checks(fast: bool) -> int:
    """Lint, type checks, the import contracts (no Qt below the desktop, the layers), then the test suite."""
    setup("test,dev" if fast else "test,dev,realmodel")
    run(PY, "-m", "ruff", "check", *QT_FREE, "desktop", "packaging", "tests", "bench")
    run(PY, "-m", "mypy", *QT_FREE)
    with tempfile.TemporaryDirectory() as plain:
        # import-linter reads packages from disk; the editable install maps folders through a hook
        # it cannot follow, so check a regular install of the same tree.
        run(PY, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--target", plain, ".")
        run(BIN / "lint-imports", env={**os.environ, "PYTHONPATH": plain})
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONFAULTHANDLER": "1"}
    marker = ["-m", "not slow"] if fast else []
    cmd = [str(PY), "-m", "pytest", "-p", "no:cacheprovider", *marker]
    say(" ".join(cmd))
    return subprocess.call(cmd, cwd=ROOT, env=env)


def main() -> int:
    """Parse the command."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    a = sub.add_parser("app", help="set up and start VisionDesk")
    a.add_argument("qt_args", nargs="*")
    t = sub.add_parser("test", help="set up and run lint, type checks and tests")
    t.add_argument("--fast", action="store_true", help="skip the slow real-model tests")
    args = parser.parse_args()
    if args.what == "app":
        return app(args.qt_args)
    return checks(args.fast)


if __name__ == "__main__":
    sys.exit(main())
