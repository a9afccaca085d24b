"""The distribution build of llama.cpp in the real engine: CPU dispatch, same tokens, doctor's account.

The CPU flavour of packaging/llama_dist.py (every x86 variant as a loadable module, ``GGML_NATIVE=OFF``) is
loaded by the engine's child through ``LLAMA_CPP_LIB_PATH``/``MTMD_CPP_LIB``, as the installed app does.
Greedy answers must match the development build's (llama-cpp-python's own, ``GGML_NATIVE=ON``) token for
token, with the best variant for this CPU and with that variant removed so a lower one is loaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from visiondesk.engine import Finished, Message, ModelSpec, SamplingParams, TextDelta
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.llama.backend_choice import BackendChoice

from tests.model_factory import GeneratedModels
from tests.packaging.conftest import copy_without, lib_env, llama_dist
from tests.packaging.software_vulkan import lavapipe_env

pytestmark = pytest.mark.dist

GREEDY = SamplingParams(temperature=0.0, max_tokens=32, repeat_penalty=1.0)
BIN = Path(sys.executable).parent / "visiondesk"


def answer(models: GeneratedModels, image: Path) -> tuple[str, int, BackendChoice]:
    """A fresh engine's greedy answer about ``image``: (text, tokens, the backends its child chose)."""
    with LocalEngine() as engine:
        engine.load(ModelSpec(model=models.model, mmproj=models.mmproj, n_ctx=1024, threads=1))
        events = list(engine.chat([Message.user("What is in this picture?", image)], GREEDY))
        backends = BackendChoice.from_dict(engine.system_info()["backends"])
    final = events[-1]
    assert isinstance(final, Finished) and final.error is None, final
    return "".join(e.text for e in events if isinstance(e, TextDelta)), final.usage.completion_tokens, backends


def answer_with(monkeypatch: pytest.MonkeyPatch, lib: Path, models: GeneratedModels,
                image: Path) -> tuple[str, int, BackendChoice]:
    lib_env(monkeypatch, lib)
    return answer(models, image)


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dist-image") / "photo.png"
    img = Image.new("RGB", (64, 48), (200, 60, 30))
    for x in range(0, 64, 6):
        img.putpixel((x, x % 48), (255, 255, 255))
    img.save(path)
    return path


@pytest.fixture(scope="module")
def dev_answer(test_models: GeneratedModels, image: Path) -> tuple[str, int, BackendChoice]:
    """The development build's answer (its own libraries: no override in the environment)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("LLAMA_CPP_LIB_PATH", raising=False)
        mp.delenv("MTMD_CPP_LIB", raising=False)
        return answer(test_models, image)


def test_the_dist_build_answers_with_the_dev_builds_tokens_on_its_best_variant(
        dist_cpu_lib: Path, dev_answer: tuple[str, int, BackendChoice], test_models: GeneratedModels,
        image: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text, tokens, backends = answer_with(monkeypatch, dist_cpu_lib, test_models, image)
    dev_text, dev_tokens, dev_backends = dev_answer
    assert dev_backends.cpu_variant == "" and dev_backends.modules_dir == ""  # the dev build: one CPU backend
    assert tokens == dev_tokens == GREEDY.max_tokens and text == dev_text
    assert backends.modules_dir == str(dist_cpu_lib)
    assert backends.cpu_module == f"libggml-cpu-{backends.cpu_variant}.so"  # mapped from the dist folder
    assert backends.cpu_variant == backends.cpu_variants_usable[0]  # ggml's pick is the best this CPU runs
    assert backends.cpu_variants_shipped == len(list(dist_cpu_lib.glob("libggml-cpu-*.so"))) >= 10
    assert "x64" in backends.cpu_variants_usable  # the baseline runs on any x86-64


def test_with_the_best_variant_hidden_a_lower_one_answers_the_same(
        dist_cpu_lib: Path, dev_answer: tuple[str, int, BackendChoice], test_models: GeneratedModels,
        image: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    best = answer_with(monkeypatch, dist_cpu_lib, test_models, image)[2].cpu_variant
    hidden = copy_without(dist_cpu_lib, {f"libggml-cpu-{best}.so"}, tmp_path / "lib")
    text, tokens, backends = answer_with(monkeypatch, hidden, test_models, image)
    assert backends.cpu_variant not in ("", best) and backends.cpu_module == f"libggml-cpu-{backends.cpu_variant}.so"
    assert best not in backends.cpu_variants_usable
    assert backends.cpu_line().startswith(f"CPU backend: {backends.cpu_variant} variant (")
    assert (text, tokens) == dev_answer[:2]


@pytest.mark.parametrize("variant", ["haswell", "x64"])
def test_the_avx2_and_the_baseline_variant_alone_answer_the_same(
        variant: str, dist_cpu_lib: Path, dev_answer: tuple[str, int, BackendChoice], test_models: GeneratedModels,
        image: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    others = {p.name for p in dist_cpu_lib.glob("libggml-cpu-*.so")} - {f"libggml-cpu-{variant}.so"}
    only = copy_without(dist_cpu_lib, others, tmp_path / "lib")
    text, tokens, backends = answer_with(monkeypatch, only, test_models, image)
    assert backends.cpu_variant == variant and backends.cpu_variants_usable == (variant,)
    assert (text, tokens) == dev_answer[:2]


def test_doctor_names_the_variant_and_why_there_is_no_gpu(dist_cpu_lib: Path) -> None:
    env = {**os.environ, **llama_dist().python_package_env(dist_cpu_lib)}
    out = subprocess.run([str(BIN), "doctor"], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.splitlines() if x.startswith("CPU backend: "))
    variant = line.removeprefix("CPU backend: ").split()[0]
    assert (dist_cpu_lib / f"libggml-cpu-{variant}.so").is_file()
    assert "best of" in line and "AVX" in line
    assert "GPU: none — CPU-only build (no GPU backend shipped), running on the CPU" in out.stdout


@pytest.mark.dist_vulkan
def test_the_vulkan_flavour_without_a_gpu_says_why_and_answers_on_the_cpu(
        dev_answer: tuple[str, int, BackendChoice], test_models: GeneratedModels, image: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    lib: Path = llama_dist().build("vulkan")
    text, tokens, backends = answer_with(monkeypatch, lib, test_models, image)
    assert backends.gpu_backend == "" and backends.cpu_variant == backends.cpu_variants_usable[0]
    # The module loaded (the loader is installed here) and found no GPU: Mesa's software driver does not count.
    assert backends.gpu_line() == ("GPU: Vulkan — no Vulkan GPU found (software renderers are not used), "
                                   "running on the CPU")
    assert (text, tokens) == dev_answer[:2]


@pytest.mark.dist_vulkan
def test_the_vulkan_flavour_offloads_to_a_real_vulkan_driver_and_answers_with_the_cpus_tokens(
        dev_answer: tuple[str, int, BackendChoice], test_models: GeneratedModels, image: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every layer and the projector on Mesa's software Vulkan device (software_vulkan.py): the shipped
    module, its shaders and the offload path through a real driver. Speed says nothing here (the H200 run
    of packaging/gpu_vulkan.sh measures that); the first run compiles ggml's pipelines for minutes."""
    lib: Path = llama_dist().build("vulkan")
    for key, value in lavapipe_env().items():
        monkeypatch.setenv(key, value)
    lib_env(monkeypatch, lib)
    with LocalEngine() as engine:
        loaded = engine.load(ModelSpec(model=test_models.model, mmproj=test_models.mmproj, n_ctx=1024, threads=1,
                                       gpu_layers=99))
        events = list(engine.chat([Message.user("What is in this picture?", image)], GREEDY))
        backends = BackendChoice.from_dict(engine.system_info()["backends"])
    assert loaded.backend == "Vulkan" and loaded.layers_per_gpu == (loaded.n_layers + 1,), loaded
    assert loaded.gpu_names == ("Vulkan0",)
    assert backends.gpu_backend == "Vulkan" and backends.gpu_line().startswith("GPU: Vulkan — llvmpipe"), backends
    assert backends.gpu_reason == ""  # no reason for staying on the CPU: it did not
    final = events[-1]
    assert isinstance(final, Finished) and final.error is None and final.backend == "Vulkan", final
    assert final.usage.images_encoded == 1
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert (text, final.usage.completion_tokens) == dev_answer[:2]
