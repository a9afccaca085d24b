"""The commands work with the backend and model manager they are handed; by default both live in the data dir."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from visiondesk.cli import main
from visiondesk.cli.backends import CommandContext
from visiondesk.core.paths import DataPaths
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.llama.disk_cache import DiskCache
from visiondesk.models.fit import GIB, MachineMemory
from visiondesk.models.manager import ModelManager
from visiondesk.models.registry import ModelRegistry

from tests.model_factory import GeneratedModels


def test_ask_and_doctor_use_the_engine_they_are_given(test_models: GeneratedModels, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    made: list[LocalEngine] = []
    caches: list[DiskCache | None] = []
    given_cache = DiskCache(tmp_path / "given-cache", 2**20)

    def make(cache: DiskCache | None = None) -> LocalEngine:
        caches.append(cache)
        made.append(LocalEngine(log_dir=tmp_path / "given-logs", cache=cache))
        return made[-1]

    context = CommandContext(backend=make, engine=make, disk_cache=lambda: given_cache)
    args = ["--model", str(test_models.model), "--mmproj", str(test_models.mmproj), "--threads", "1",
            "--temperature", "0", "--ctx", "512", "--max-tokens", "4"]
    assert main(["ask", *args, "Hello?"], context) == 0
    out, err = capsys.readouterr()
    assert out.strip() and "[loaded: CPU, 0 GPU layers" in err
    assert main(["doctor"], context) == 0
    assert "physical cores" in capsys.readouterr().out
    assert len(made) == 2 and all(engine.pid is None for engine in made)  # each closed after its command
    assert caches == [given_cache, None]  # ask keeps the disk cache it is given; doctor needs none
    assert (tmp_path / "given-logs" / "engine-stderr.log").exists()
    assert not DataPaths.default().logs.exists()  # nothing went to the default data directory


def test_default_engine_logs_into_the_data_directory(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor"]) == 0
    assert (DataPaths.default().logs / "engine-stderr.log").exists()


def test_models_commands_use_the_manager_they_are_given(gguf_files: object, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    g = gguf_files
    registry = ModelRegistry(tmp_path / "elsewhere" / "index.json", tmp_path / "elsewhere" / "models")
    laptop = MachineMemory(ram_total=8 * GIB, ram_available=6 * GIB)
    context = CommandContext(models=lambda: ModelManager(registry, memory=lambda: laptop))
    model = Path(shutil.copy(g.model, tmp_path / "tiny-Q4_K_M.gguf"))  # type: ignore[attr-defined]
    assert main(["models", "import", str(model), "--mmproj", str(g.mmproj), "--copy"], context) == 0  # type: ignore[attr-defined]
    assert [m.name for m in registry.list()] == ["tiny-Q4_K_M"]
    assert registry.get("tiny-Q4_K_M").model.path.parent == tmp_path / "elsewhere" / "models" / "tiny-Q4_K_M"
    assert not DataPaths.default().model_registry.exists()
    assert main(["models", "catalog"], context) == 0
    verdicts = [line.split("\t")[4] for line in capsys.readouterr().out.splitlines() if line.count("\t") >= 4]
    assert verdicts and set(verdicts) <= {"CPU only", "too big"}  # the given machine has no GPU
