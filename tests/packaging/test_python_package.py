"""llama-cpp-python's bindings without a llama.cpp of their own, on the distribution build (a fresh venv).

This is the recipe the frozen app is built with (``llama_dist.install_python_package``): one llama.cpp in the
bundle. It also shows why the engine's child loads the backend modules itself (engine/llama/worker/native_libs.py):
without that, a Python process finds no CPU backend at all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.packaging.conftest import ROOT, llama_dist

pytestmark = pytest.mark.dist

PROBE = """
import ctypes, importlib.util, json, os, sys
spec = importlib.util.spec_from_file_location("native_libs", sys.argv[1])
native_libs = importlib.util.module_from_spec(spec); spec.loader.exec_module(native_libs)
if sys.argv[2] == "load":
    native_libs.load_backends()
import llama_cpp
ggml = ctypes.CDLL(os.path.join(os.environ["LLAMA_CPP_LIB_PATH"], "libggml.so"))
ggml.ggml_backend_reg_count.restype = ctypes.c_size_t
print(json.dumps({"lib_dir": os.path.isdir(os.path.join(os.path.dirname(llama_cpp.__file__), "lib")),
                  "backends": ggml.ggml_backend_reg_count(),
                  "system_info": llama_cpp.llama_print_system_info().decode()}))
"""


def test_the_bindings_alone_run_on_the_dist_build_once_its_modules_are_loaded(dist_cpu_lib: Path,
                                                                               tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    # llama-cpp-python's own dependencies (the project's install brings them in the app's build)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "numpy", "typing-extensions", "diskcache", "jinja2"],
                   check=True)
    llama_dist().install_python_package(python)
    env = {"PATH": "/usr/bin:/bin", **llama_dist().python_package_env(dist_cpu_lib)}
    native_libs = ROOT / "engine" / "llama" / "worker" / "native_libs.py"

    def probe(mode: str) -> dict[str, object]:
        out = subprocess.run([str(python), "-c", PROBE, str(native_libs), mode], capture_output=True, text=True,
                             env=env, cwd=tmp_path, timeout=120)
        assert out.returncode == 0, out.stderr
        result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
        return result

    alone, loaded = probe("plain"), probe("load")
    assert alone["lib_dir"] is False  # no second llama.cpp inside the package
    assert alone["backends"] == 0  # ggml searched the interpreter's folder and the cwd: no CPU backend
    assert int(str(loaded["backends"])) >= 1 and "AVX" in str(loaded["system_info"])
