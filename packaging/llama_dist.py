"""Build llama.cpp for distribution: CPU backend in every x86 variant, chosen at run time, plus Vulkan.

The llama.cpp built is the one vendored in the llama-cpp-python sdist of the installed (else pyproject's
minimum) version, so its tokens match the development build's. It is configured as llama.cpp's own
release builds are: ``GGML_NATIVE=OFF`` (never tuned to the build machine's CPU), ``GGML_BACKEND_DL=ON``
with ``GGML_CPU_ALL_VARIANTS=ON`` (one ``libggml-cpu-<variant>.so`` per x86 level; ggml loads the best
one the running CPU supports) and, in the ``vulkan`` flavour, ``libggml-vulkan.so`` as one more loadable
module (it falls back to the CPU where there is no Vulkan device). Sonames are unversioned, so the folder
holds one plain file per library and nothing else; the libraries find each other through ``$ORIGIN``.

The result is cached outside the clone, like the test suite's llama-server:
``$XDG_CACHE_HOME/visiondesk/llama-dist-<version>-<flavour>/`` with ``lib/`` (what ships), ``bench/``
(``llama-bench``, vulkan flavour only, for the GPU comparison; never shipped) and ``build.json`` (flags,
seconds). It is written under a temporary name and renamed when complete, so a half build is never used;
an interrupted build resumes from its CMake tree in ``llama-dist-build-<version>-<flavour>/``.

    python packaging/llama_dist.py                 # the vulkan flavour (Vulkan SDK: see vulkan_sdk.py)
    python packaging/llama_dist.py --no-vulkan     # the CPU-only flavour
    python packaging/llama_dist.py --print-dir     # build if needed, print the lib folder only

The Python side (llama-cpp-python without a second llama.cpp build) is ``install_python_package``;
at run time the engine loads the modules from the folder (engine/llama/worker/native_libs.py).
"""

from __future__ import annotations

import argparse
import glob
import json
import logging
import os
import re
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
FLAVOURS = ("cpu", "vulkan")

COMMON_FLAGS = (
    "-DCMAKE_BUILD_TYPE=Release", "-DBUILD_SHARED_LIBS=ON",
    "-DGGML_NATIVE=OFF", "-DGGML_BACKEND_DL=ON", "-DGGML_CPU_ALL_VARIANTS=ON",
    # One plain file per library (libllama.so, not libllama.so.0.5.0 and two links): what a bundler copies.
    "-DCMAKE_PLATFORM_NO_VERSIONED_SONAME=ON",
    # The libraries find each other in their own folder, wherever it is installed.
    "-DCMAKE_BUILD_WITH_INSTALL_RPATH=ON", "-DCMAKE_INSTALL_RPATH=$ORIGIN",
    # tools/ is configured only so llama-bench can be a target; nothing is built but the named targets.
    "-DLLAMA_BUILD_COMMON=ON", "-DLLAMA_BUILD_TOOLS=ON", "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_TESTS=OFF", "-DLLAMA_BUILD_SERVER=OFF", "-DLLAMA_BUILD_APP=OFF",
    "-DLLAMA_CURL=OFF", "-DLLAMA_OPENSSL=OFF",
)
SHIPPED = ("libllama.so", "libmtmd.so")  # with every libggml*.so: what the app loads
FLAVOUR_FLAGS = {"cpu": ("-DGGML_VULKAN=OFF",), "vulkan": ("-DGGML_VULKAN=ON",)}
# `llama` pulls in ggml and, through ggml's dependencies, every backend module. ggml-vulkan comes first so a
# Vulkan SDK too old for this llama.cpp fails the build in minutes, not after the CPU variants.
# llama-bench and llama-quantize (the vulkan flavour's bench/, never shipped) serve the GPU comparison.
TARGETS = {"cpu": ("llama", "mtmd"), "vulkan": ("ggml-vulkan", "llama", "mtmd", "llama-bench", "llama-quantize")}


def llama_cpp_python_version() -> str:
    """The installed llama-cpp-python's version, else the minimum pyproject pins."""
    try:
        return version("llama_cpp_python")
    except PackageNotFoundError:
        text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
        found = re.search(r'"llama-cpp-python>=([0-9.]+)', text)
        if not found:
            raise RuntimeError("pyproject.toml pins no llama-cpp-python version") from None
        return found.group(1)


def _cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "visiondesk"


def dist_dir(flavour: str, ver: str | None = None) -> Path:
    """The finished build's folder for ``flavour`` (``cpu`` or ``vulkan``); it may not exist yet."""
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown flavour {flavour!r}; one of {', '.join(FLAVOURS)}")
    return _cache_root() / f"llama-dist-{ver or llama_cpp_python_version()}-{flavour}"


def find_lib_dir(flavour: str) -> Path | None:
    """The finished build's ``lib`` folder, or None when it has not been built."""
    folder = dist_dir(flavour)
    return folder / "lib" if (folder / "build.json").is_file() else None


def sdist(ver: str, into: Path) -> Path:
    """llama-cpp-python's sdist: one pip already unpacked in /tmp, else ``pip download``."""
    found = glob.glob(f"/tmp/pip-unpack-*/llama_cpp_python-{ver}.tar.gz")
    if found:
        return Path(found[0])
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                    "-d", str(into), f"llama-cpp-python=={ver}"], check=True)
    return into / f"llama_cpp_python-{ver}.tar.gz"


def _children_cpu_s() -> float:
    """CPU seconds (user + system) of finished child processes: the build's work, whatever the machine's load."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _nice() -> None:
    os.nice(max(0, 10 - os.nice(0)))  # niceness 10 like the other jobs here, not 19 when started niced already


def _run_logged(cmd: list[str], logfile: Path, env: dict[str, str]) -> None:
    with open(logfile, "a", encoding="utf-8") as fh:
        fh.write(f"$ {' '.join(cmd)}\n")
        fh.flush()
        done = subprocess.run(cmd, stdout=fh, stderr=subprocess.STDOUT, preexec_fn=_nice, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}... failed; see {logfile}")


def _check_tools() -> None:
    missing = [tool for tool in ("cmake", "c++") if not shutil.which(tool)]
    if missing:
        raise RuntimeError(f"building llama.cpp needs {', '.join(missing)} (Debian: apt-get install -y cmake g++)")


def _build_env(flavour: str) -> dict[str, str]:
    """The environment CMake runs in: for Vulkan, an SDK (``VULKAN_SDK``, else one made of Debian 13 packages)."""
    env = dict(os.environ)
    if flavour == "vulkan" and not env.get("VULKAN_SDK"):
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from vulkan_sdk import make_sdk

        env["VULKAN_SDK"] = str(make_sdk())
    return env


def _collect(build: Path, out: Path, flavour: str) -> None:
    """Copy the shipped libraries (stripped) into ``out/lib``, the tools and their libraries into ``out/bench``."""
    lib, bench = out / "lib", out / "bench"
    lib.mkdir(parents=True)
    for so in sorted((build / "bin").glob("lib*.so")):
        shipped = so.name.startswith("libggml") or so.name in SHIPPED
        if not shipped:  # the tools' own libraries (libllama-common.so, lib*-impl.so)
            bench.mkdir(exist_ok=True)
        shutil.copy2(so, (lib if shipped else bench) / so.name)
    if shutil.which("strip"):
        subprocess.run(["strip", "--strip-unneeded", *map(str, sorted(lib.iterdir()))], check=True)
    for tool in (target for target in TARGETS[flavour] if target.startswith("llama-")):
        bench.mkdir(exist_ok=True)
        shutil.copy2(build / "bin" / tool, bench / tool)


def build(flavour: str, jobs: int = 2) -> Path:
    """Build ``flavour`` unless cached; returns its ``lib`` folder.

    The CPU flavour is the vulkan flavour without ``libggml-vulkan.so`` (with ``GGML_BACKEND_DL`` no other
    file depends on which backends are built: CMake adds ``GGML_USE_<backend>`` only to builds that link
    them in), so where the vulkan flavour is cached it is copied from there instead of compiled again;
    ``VD_LLAMA_DIST_COLD=1`` compiles it anyway. A file lock makes a second caller wait for the running
    build instead of starting another.
    """
    found = find_lib_dir(flavour)
    if found:
        return found
    ver = llama_cpp_python_version()
    final = dist_dir(flavour, ver)
    root = final.parent
    root.mkdir(parents=True, exist_ok=True)
    import fcntl  # POSIX only: imported here so that build_platforms.py can use this module's flags on Windows

    with open(root / f"{final.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = find_lib_dir(flavour)
        if found:
            return found
        vulkan = find_lib_dir("vulkan")
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=root))
        try:
            if flavour == "cpu" and vulkan and not os.environ.get("VD_LLAMA_DIST_COLD"):
                info = _derive_cpu(vulkan, tmp)
            else:
                info = _compile(ver, flavour, jobs, root / f"llama-dist-build-{ver}-{flavour}", tmp)
            (tmp / "build.json").write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
            os.replace(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # gone already when complete
        log.warning("Built %s in %d s", final, info["build_seconds"])
    return final / "lib"


def _derive_cpu(vulkan_lib: Path, out: Path) -> dict[str, object]:
    """The CPU flavour as a copy of the vulkan flavour's libraries less the Vulkan module."""
    started = time.monotonic()
    (out / "lib").mkdir()
    for so in sorted(vulkan_lib.iterdir()):
        if so.name != "libggml-vulkan.so":
            shutil.copy2(so, out / "lib" / so.name)
    info: dict[str, object] = json.loads((vulkan_lib.parent / "build.json").read_text(encoding="utf-8"))
    return {**info, "flavour": "cpu", "derived_from": str(vulkan_lib.parent),
            "build_seconds": round(time.monotonic() - started),
            "vulkan_build_seconds": info["build_seconds"], "targets": list(TARGETS["cpu"])}


def _compile(ver: str, flavour: str, jobs: int, work: Path, out: Path) -> dict[str, object]:
    """Configure and build ``flavour`` in ``work`` (resumed if interrupted), collect it into ``out``."""
    _check_tools()
    work.mkdir(exist_ok=True)
    logfile = work / "build.log"
    src = work / f"llama_cpp_python-{ver}" / "vendor" / "llama.cpp"
    if not src.is_dir():
        with tarfile.open(sdist(ver, work)) as tf:
            tf.extractall(work, filter="data")
    flags = [*COMMON_FLAGS, *FLAVOUR_FLAGS[flavour]]
    env = _build_env(flavour)
    gen = ["-G", "Ninja"] if shutil.which("ninja") else []
    log.warning("Building llama.cpp %s (%s flavour) for distribution in %s; see %s", ver, flavour, work, logfile)
    # A tree configured otherwise (flags, SDK) is not resumed: CMake's sub-builds keep their own caches.
    config = json.dumps({"flags": flags, "vulkan_sdk": env.get("VULKAN_SDK", "")})
    stamp = work / "config.json"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") != config:
        shutil.rmtree(work / "build", ignore_errors=True)
    stamp.write_text(config, encoding="utf-8")
    started, cpu_before = time.monotonic(), _children_cpu_s()
    _run_logged(["cmake", "-S", str(src), "-B", str(work / "build"), *gen, *flags], logfile, env)
    _run_logged(["cmake", "--build", str(work / "build"), "-j", str(jobs), "--target", *TARGETS[flavour]],
                logfile, env)
    seconds, cpu_seconds = round(time.monotonic() - started), round(_children_cpu_s() - cpu_before)
    _collect(work / "build", out, flavour)
    shutil.copy2(logfile, out / "build.log")
    shutil.rmtree(work, ignore_errors=True)
    return {"llama_cpp_python": ver, "flavour": flavour, "cmake_flags": flags, "targets": list(TARGETS[flavour]),
            "vulkan_sdk": env.get("VULKAN_SDK", ""), "jobs": jobs, "build_seconds": seconds,
            "compile_cpu_seconds": cpu_seconds, "cpus": os.cpu_count(),
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def python_package_env(lib_dir: Path) -> dict[str, str]:
    """The environment that points llama-cpp-python's bindings at ``lib_dir`` instead of its own lib/."""
    return {"LLAMA_CPP_LIB_PATH": str(lib_dir), "MTMD_CPP_LIB": str(lib_dir)}


def install_python_package(python: Path, ver: str | None = None) -> None:
    """Install llama-cpp-python's Python bindings into ``python``'s environment without building llama.cpp.

    ``-DLLAMA_BUILD=OFF -DLLAVA_BUILD=OFF`` keeps its CMake from compiling anything, so the package holds
    no ``lib/`` and the frozen app carries one llama.cpp: the dist build, found at run time through
    ``python_package_env``. ``--no-cache-dir`` keeps pip from reusing a cached full wheel of the same
    version (its cache key ignores CMAKE_ARGS).
    """
    env = {**os.environ, "CMAKE_ARGS": "-DLLAMA_BUILD=OFF -DLLAVA_BUILD=OFF"}
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-cache-dir", "--force-reinstall", "--no-deps",
                    "--no-binary", "llama-cpp-python", f"llama-cpp-python=={ver or llama_cpp_python_version()}"],
                   env=env, check=True)


def main(argv: list[str] | None = None) -> int:
    """Command line: build (if needed) and print the lib folder, or with --print-dir only its path."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-vulkan", action="store_true", help="the CPU-only flavour (much faster to build)")
    parser.add_argument("--print-dir", action="store_true", help="print only the folder holding the .so files")
    parser.add_argument("--jobs", type=int, default=2, help="parallel compile jobs (default 2)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.print_dir else logging.INFO, format="%(message)s")
    flavour = "cpu" if args.no_vulkan else "vulkan"
    lib = build(flavour, jobs=args.jobs)
    if args.print_dir:
        print(lib)
        return 0
    info = json.loads((lib.parent / "build.json").read_text(encoding="utf-8"))
    how = (f"copied from {info['derived_from']}" if "derived_from" in info else
           f"built in {info['build_seconds']} s with -j{info['jobs']}, {info.get('compile_cpu_seconds')} CPU seconds")
    print(f"{lib}  ({flavour}, {how})")
    for so in sorted(lib.iterdir()):
        print(f"  {so.stat().st_size / 1e6:7.1f} MB  {so.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
