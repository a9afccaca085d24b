"""The development build through the dist-aware code: no modules loaded, doctor's account of a linked-in build.

These run in the normal suite: they show the distribution support changes nothing for the dev build.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

from visiondesk.engine.llama.backend_choice import BackendChoice
from visiondesk.engine.llama.worker import native_libs

BIN = Path(sys.executable).parent / "visiondesk"


def test_the_dev_build_has_no_backend_modules_to_load() -> None:
    folder = native_libs.library_dir()
    assert folder is not None and (folder / native_libs.GGML_LIBRARY).is_file()
    assert native_libs.cpu_modules(folder) == []
    assert native_libs.load_backends() is None and native_libs.loaded_from() is None


def test_doctor_on_the_dev_build_names_its_linked_cpu_backend_and_no_gpu() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("LLAMA_CPP_LIB_PATH", "MTMD_CPP_LIB")}
    out = subprocess.run([str(BIN), "doctor"], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    assert "CPU backend: one build linked in (libggml-cpu.so" in out.stdout and "development build)" in out.stdout
    assert "GPU: none — CPU-only development build, running on the CPU" in out.stdout


def test_the_backend_record_survives_json_and_says_when_a_variant_was_chosen_by_hand() -> None:
    lower = BackendChoice(cpu_module="libggml-cpu-haswell.so", cpu_variant="haswell", cpu_features=("AVX2", "FMA"),
                          cpu_variants_usable=("zen4", "haswell", "x64"), cpu_variants_shipped=14, gpu_backend="",
                          gpu_devices=(), gpu_reason="Vulkan — no Vulkan GPU found, running on the CPU",
                          modules_dir="/opt/visiondesk/lib")
    assert BackendChoice.from_dict(dataclasses.asdict(lower)) == lower
    assert lower.cpu_line() == ("CPU backend: haswell variant (AVX2, FMA; not the best of the 3 this CPU can run; "
                                "chosen by hand; 14 shipped)")
    best = dataclasses.replace(lower, cpu_variant="zen4")
    assert "zen4 variant (AVX2, FMA; best of 3 available for this CPU; 14 shipped)" in best.cpu_line()
    assert lower.gpu_line() == "GPU: Vulkan — no Vulkan GPU found, running on the CPU"
    gpu = dataclasses.replace(lower, gpu_backend="Vulkan", gpu_devices=("NVIDIA H200",))
    assert gpu.gpu_line() == "GPU: Vulkan — NVIDIA H200"
    dev = dataclasses.replace(gpu, gpu_backend="CUDA", modules_dir="", cpu_variant="")
    assert dev.gpu_line() == "GPU: CUDA build (dev) — NVIDIA H200"
