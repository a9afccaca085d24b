"""Build (once) and locate llama.cpp's own tools: ``llama-bench``, ``llama-mtmd-cli``, ``llama-quantize``.

They are built from the llama.cpp that llama-cpp-python vendors (its sdist), as shared libraries, and
run on llama-cpp-python's own ``libllama``/``libggml*`` (``LD_LIBRARY_PATH``; see ``tool_env``): the
baseline and the engine then execute the very same machine code, so a ratio measures the engine and
nothing else. (A static ``-DGGML_NATIVE=ON`` build of the same source measured about 6% faster than the
wheel's libraries on the development VM; ``VD_LLAMA_TOOLS_DIR=<dir with the three tools>`` runs such a
build as it is, for that comparison.) The build is cached under ``bench/.cache/llama-<version>-cpu-shared/``.

If ``llama-bench`` is already on ``PATH`` (the GPU recipe ``.gpu/build-cuda.sh`` puts a CUDA build
there), that one is used instead: it is built from the same sdist.

    python bench/llama_tools.py            # build the CPU tools here (about 10-20 min on 2 cores)
"""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
CACHE = BENCH / ".cache"
TOOLS = ("llama-bench", "llama-mtmd-cli", "llama-quantize")
# Built with them here, optional elsewhere (the GPU recipe builds it on demand): the text-only CLI whose
# load bench/load_bench.py compares with (llama-mtmd-cli refuses to start without a projector).
EXTRA_TOOLS = ("llama-completion",)


def llama_cpp_python_version() -> str:
    try:
        from importlib.metadata import version

        return version("llama_cpp_python")
    except Exception:  # noqa: BLE001 - not installed: the version the project pins
        return "0.3.36"


def _find_source(version: str) -> Path:
    """The vendored llama.cpp of llama-cpp-python ``version``: an unpacked sdist, else pip download."""
    env = os.environ.get("VD_LLAMA_SRC")
    if env and (Path(env) / "CMakeLists.txt").is_file():
        return Path(env)
    candidates = [CACHE / f"src-{version}" / f"llama_cpp_python-{version}" / "vendor" / "llama.cpp"]
    candidates += [Path(p) for p in glob.glob(f"/tmp/lsrc/llama_cpp_python-{version}/vendor/llama.cpp")]
    for c in candidates:
        if (c / "CMakeLists.txt").is_file():
            return c
    sdists = glob.glob(f"/tmp/pip-unpack-*/llama_cpp_python-{version}.tar.gz")
    dest = CACHE / f"src-{version}"
    dest.mkdir(parents=True, exist_ok=True)
    if not sdists:
        tmp = tempfile.mkdtemp()
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                        "-d", tmp, f"llama-cpp-python=={version}"], check=True)
        sdists = glob.glob(f"{tmp}/llama_cpp_python-{version}.tar.gz")
    with tarfile.open(sdists[0]) as tf:
        tf.extractall(dest, filter="data")
    return candidates[0]


def _own_dir() -> Path:
    return CACHE / f"llama-{llama_cpp_python_version()}-cpu-shared"


def wheel_lib_dir() -> Path | None:
    """The directory of the native libraries llama-cpp-python loads (LLAMA_CPP_LIB_PATH wins, as there)."""
    env = os.environ.get("LLAMA_CPP_LIB_PATH")
    if env:
        return Path(env)
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or spec.origin is None:
        return None
    lib = Path(spec.origin).parent / "lib"
    return lib if lib.is_dir() else None


def find_tools() -> dict[str, Path] | None:
    """The three tools: VD_LLAMA_TOOLS_DIR, else on PATH (the CUDA build on the device), else built here."""
    override = os.environ.get("VD_LLAMA_TOOLS_DIR")
    if override:
        return {t: Path(override) / t for t in TOOLS}
    on_path = {t: shutil.which(t) for t in TOOLS}
    if all(on_path.values()):
        return {t: Path(p) for t, p in on_path.items() if p}
    bin_dir = _own_dir() / "bin"
    if all((bin_dir / t).is_file() for t in TOOLS):
        return {t: bin_dir / t for t in TOOLS}
    return None


def find_tool(name: str) -> Path | None:
    """One tool, the three or an extra one, looked up as ``find_tools`` does; None if not there."""
    override = os.environ.get("VD_LLAMA_TOOLS_DIR")
    candidates = [Path(override) / name] if override else []
    on_path = shutil.which(name)
    candidates += [Path(on_path)] if on_path else []
    candidates.append(_own_dir() / "bin" / name)
    return next((c for c in candidates if c.is_file()), None)


def tool_env(tool: Path) -> dict[str, str]:
    """The environment to run ``tool`` in: ours run on the wheel's libraries (their own helpers next to them)."""
    env = dict(os.environ)
    if tool.parent == _own_dir() / "bin":
        wheel = wheel_lib_dir()
        parts = [str(wheel)] if wheel else []
        env["LD_LIBRARY_PATH"] = os.pathsep.join([*parts, str(tool.parent), env.get("LD_LIBRARY_PATH", "")])
    return env


def build_cpu_tools(jobs: int = 2, log: Path | None = None) -> dict[str, Path]:
    """Build the CPU tools (shared; run on the wheel's libraries) if not cached; returns their paths."""
    found = find_tools()
    if found:
        return found
    version = llama_cpp_python_version()
    src = _find_source(version)
    out = _own_dir()
    build = out / "build"
    log = log or out / "build.log"
    out.mkdir(parents=True, exist_ok=True)
    gen = ["-G", "Ninja"] if shutil.which("ninja") else []
    with open(log, "w") as fh:
        subprocess.run(["cmake", "-S", str(src), "-B", str(build), *gen, "-DCMAKE_BUILD_TYPE=Release",
                        "-DBUILD_SHARED_LIBS=ON", "-DLLAMA_CURL=OFF", "-DLLAMA_OPENSSL=OFF", "-DGGML_NATIVE=ON",
                        "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_SERVER=OFF", "-DLLAMA_BUILD_EXAMPLES=OFF"],
                       check=True, stdout=fh, stderr=subprocess.STDOUT)
        subprocess.run(["cmake", "--build", str(build), "-j", str(jobs), "--target", *TOOLS, *EXTRA_TOOLS],
                       check=True, stdout=fh, stderr=subprocess.STDOUT)
    (out / "bin").mkdir(exist_ok=True)
    # The tools and their own helper libraries (libllama-common, ...); not the libllama/libggml*/libmtmd
    # that llama-cpp-python ships, so that only the wheel's copies can be found at run time.
    wheel_names = ("libllama.so", "libggml", "libmtmd.so")
    for f in (build / "bin").iterdir():
        if f.name in TOOLS + EXTRA_TOOLS or (".so" in f.name and not f.name.startswith(wheel_names)):
            shutil.copy2(f, out / "bin" / f.name, follow_symlinks=False)
    found = find_tools()
    assert found, "build finished but the tools are missing"
    return found


if __name__ == "__main__":
    for name, path in build_cpu_tools().items():
        print(name, path)
