"""Pairing, local import, the registry, re-verification, the fit estimate and the catalog."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from visiondesk.core.paths import DataPaths
from visiondesk.engine.errors import InputError
from visiondesk.models.catalog import ModelCatalog
from visiondesk.models.errors import ModelNotInstalled
from visiondesk.models.fit import GIB, Fit, MachineMemory, estimate_fit, kv_cache_bytes, parse_nvidia_smi, probe_machine
from visiondesk.models.local_models import import_local_model, verify_installed
from visiondesk.models.naming import is_mmproj_name, pick_mmproj_file, pick_model_file, quant_from_filename
from visiondesk.models.pairing import check_model_pair, find_mmproj_beside

from tests.models.conftest import open_registry


def test_data_dir_follows_env(isolated_dirs: Path) -> None:
    assert DataPaths.default().root == isolated_dirs
    assert open_registry().models_dir == isolated_dirs / "models"


def test_pair_match_mismatch_and_text_only(gguf_files: object) -> None:
    g = gguf_files
    ok = check_model_pair(g.model, g.mmproj)  # type: ignore[attr-defined]
    assert ok.ok and ok.has_vision and "fits" in ok.message
    bad = check_model_pair(g.model, g.mismatched_mmproj)  # type: ignore[attr-defined]
    assert not bad.ok and "96-wide" in bad.message and "expects 64" in bad.message
    text = check_model_pair(g.model, None)  # type: ignore[attr-defined]
    assert text.ok and not text.has_vision and "text-only" in text.message
    swapped = check_model_pair(g.model, g.no_template_model)  # type: ignore[attr-defined]
    assert not swapped.ok and "not a vision projector" in swapped.message


def test_find_mmproj_beside_picks_the_fitting_one(gguf_files: object, tmp_path: Path) -> None:
    g = gguf_files
    shutil.copy(g.model, tmp_path / "tiny-Q4_K_M.gguf")  # type: ignore[attr-defined]
    shutil.copy(g.mismatched_mmproj, tmp_path / "mmproj-tiny-f16.gguf")  # type: ignore[attr-defined]
    assert find_mmproj_beside(tmp_path / "tiny-Q4_K_M.gguf") is None  # only a mismatched one
    shutil.copy(g.mmproj, tmp_path / "tiny-mmproj-Q8_0.gguf")  # type: ignore[attr-defined]
    assert find_mmproj_beside(tmp_path / "tiny-Q4_K_M.gguf") == tmp_path / "tiny-mmproj-Q8_0.gguf"


def test_import_reference_then_remove_keeps_user_files(gguf_files: object, tmp_path: Path) -> None:
    g = gguf_files
    src = tmp_path / "mine"
    src.mkdir()
    model = Path(shutil.copy(g.model, src / "tiny-Q4_K_M.gguf"))  # type: ignore[attr-defined]
    Path(shutil.copy(g.mmproj, src / "mmproj-tiny.gguf"))  # type: ignore[attr-defined]
    reg = open_registry()
    m = import_local_model(reg, model)
    assert m.mmproj is not None and m.mmproj.path.name == "mmproj-tiny.gguf"  # found beside the model
    assert m.quant == "Q4_K_M" and not m.owned and m.architecture == "llama"
    assert reg.total_disk_use() == 0  # referenced files are not ours
    assert reg.remove(m.name) == 0
    assert model.exists() and reg.list() == []


def test_import_copy_remove_frees_disk(gguf_files: object, isolated_dirs: Path) -> None:
    g = gguf_files
    reg = open_registry()
    m = import_local_model(reg, g.model, g.mmproj, copy=True, name="tiny")  # type: ignore[attr-defined]
    assert m.model.path.parent == isolated_dirs / "models" / "tiny"
    assert reg.total_disk_use() == m.size > 0
    raw = json.loads((isolated_dirs / "registry.json").read_text())
    assert raw["schema_version"] == 1 and raw["models"][0]["name"] == "tiny"
    assert reg.remove("tiny") == m.size
    assert not (isolated_dirs / "models" / "tiny").exists()
    with pytest.raises(ModelNotInstalled):
        reg.get("tiny")


def test_import_refuses_mismatched_projector(gguf_files: object) -> None:
    g = gguf_files
    with pytest.raises(InputError, match="does not belong"):
        import_local_model(open_registry(), g.model, g.mismatched_mmproj)  # type: ignore[attr-defined]
    assert open_registry().list() == []


def test_verify_again_detects_damage(gguf_files: object) -> None:
    g = gguf_files
    reg = open_registry()
    m = import_local_model(reg, g.model, g.mmproj, copy=True, name="tiny")  # type: ignore[attr-defined]
    assert verify_installed(reg, "tiny").ok
    data = bytearray(m.model.path.read_bytes())
    data[-10] ^= 0xFF
    m.model.path.write_bytes(bytes(data))
    report = verify_installed(reg, "tiny")
    assert not report.ok and "damaged" in report.problems[0]


def test_registry_survives_a_broken_file(isolated_dirs: Path) -> None:
    isolated_dirs.mkdir(parents=True)
    (isolated_dirs / "registry.json").write_text("{not json")
    assert open_registry().list() == []
    assert (isolated_dirs / "registry.broken.json").exists()


@pytest.mark.parametrize(("vram", "expected"), [
    (24 * GIB, Fit.GPU), (3 * GIB, Fit.PARTIAL_GPU), (None, Fit.CPU_ONLY),
])
def test_estimate_fit_verdicts(vram: int | None, expected: Fit) -> None:
    mem = MachineMemory(ram_total=16 * GIB, ram_available=10 * GIB, vram_total=vram, vram_free=vram)
    est = estimate_fit(4 * GIB, GIB // 2, kv_cache_bytes(131072, 32, 4096) // 32, mem)
    assert est.fit is expected
    assert est.needed_bytes > 4.5 * GIB


def test_estimate_fit_too_big() -> None:
    est = estimate_fit(30 * GIB, GIB, GIB, MachineMemory(8 * GIB, 6 * GIB, None, None))
    assert est.fit is Fit.TOO_BIG and "smaller" in est.explanation


def test_kv_from_header_and_nvidia_smi_parsing(gguf_files: object) -> None:
    from visiondesk.engine.gguf_header import read_gguf_info

    info = read_gguf_info(gguf_files.model)  # type: ignore[attr-defined]
    # 4 kv heads x (16 + 16) x 2 bytes per token per layer, 2 layers, 1000 tokens
    assert kv_cache_bytes(info.kv_bytes_per_token_per_layer(), info.n_layers, 1000) == 256 * 2 * 1000
    assert parse_nvidia_smi("7000, 8192\n") == (8192 * 2**20, 7000 * 2**20)
    assert parse_nvidia_smi("") == (None, None)
    assert probe_machine().ram_total > 0


def test_catalog_covers_the_required_families() -> None:
    cat = ModelCatalog.load()
    repos = {e.repo for e in cat.entries}
    for needed in ("ggml-org/gemma-3-4b-it-GGUF", "ggml-org/gemma-3-12b-it-GGUF",
                   "ggml-org/Qwen2.5-VL-3B-Instruct-GGUF", "ggml-org/Qwen2.5-VL-7B-Instruct-GGUF",
                   "ggml-org/SmolVLM2-2.2B-Instruct-GGUF", "openbmb/MiniCPM-V-2_6-gguf",
                   "ggml-org/moondream2-20250414-GGUF"):
        assert needed in repos
    assert any("llava" in r.lower() for r in repos)
    for e in cat.entries:
        assert is_mmproj_name(e.mmproj.name), e.id
        for q, f in e.quantizations.items():
            assert not is_mmproj_name(f.name) and quant_from_filename(f.name) == q, (e.id, f.name)
        assert e.default_quant in e.quantizations and e.license and e.good_at and e.ram_gb > 0
    assert {"ocr", "charts", "photos", "small laptops"} <= {u for e in cat.entries for u in e.good_at}
    assert cat.find("gemma-3-4b") is cat.find("GGML-ORG/gemma-3-4b-it-gguf")


def test_file_name_heuristics() -> None:
    names = ["gemma-3-4b-it-Q4_K_M.gguf", "gemma-3-4b-it-Q8_0.gguf", "gemma-3-4b-it-f16.gguf",
             "mmproj-model-f16.gguf", "mmproj-model-Q8_0.gguf", "README.md"]
    assert pick_model_file(names, None) == "gemma-3-4b-it-Q4_K_M.gguf"
    assert pick_model_file(names, "q8_0") == "gemma-3-4b-it-Q8_0.gguf"
    assert pick_model_file(names, "Q2_K") is None
    assert pick_mmproj_file(names) == "mmproj-model-f16.gguf"
    assert quant_from_filename("ggml-model-q4_k.gguf") == "Q4_K"
    assert quant_from_filename("moondream2-text-model-f16_ct-vicuna.gguf") == "F16"
    assert is_mmproj_name("moondream2-mmproj-f16-20250414.gguf")
    assert pick_model_file(["m-Q4_K_M-00001-of-00002.gguf"], None) is None  # split files are not supported


def test_file_follower_hashes_what_is_written_across_steps_reset_and_stop(tmp_path: Path) -> None:
    import hashlib
    import os

    from visiondesk.models.hashing import FileFollower

    data = os.urandom(300_000)
    part = tmp_path / "f.part"
    part.write_bytes(b"garbage that the reset must drop" * 500)
    follower = FileFollower(part, written=part.stat().st_size, step=4096)
    follower.reset()  # before the file is rewritten, as ResumableDownload does
    pos = 0
    with part.open("r+b", buffering=0) as f:
        f.truncate()
        for n in (1, 4095, 4096, 10_000, 7, 100_000, len(data)):
            f.write(data[pos:pos + n])
            pos = min(pos + n, len(data))
            follower.advance(pos)
    h, hashed = follower.finish()
    assert (hashed, h.hexdigest()) == (len(data), hashlib.sha256(data).hexdigest())

    # Stopped part-way, it hands back its state; a new follower continues from there (as after a pause).
    follower = FileFollower(part, written=len(data), step=4096)
    kept = follower.stop()
    assert kept is not None and 0 <= kept[1] <= len(data)
    h, hashed = FileFollower(part, start=kept[0].copy(), position=kept[1], written=len(data)).finish()
    assert (hashed, h.hexdigest()) == (len(data), hashlib.sha256(data).hexdigest())

    # A file shorter than the writer claims is reported as fewer bytes hashed, never as complete.
    _, hashed = FileFollower(part, written=len(data) + 10, step=4096).finish()
    assert hashed == len(data)


def test_file_lock_is_exclusive_between_handles_and_cleans_up(tmp_path: Path) -> None:
    from visiondesk.models.file_lock import FileLock

    path = tmp_path / "x.part.lock"
    first, second = FileLock(path), FileLock(path)
    assert first.acquire() and first.held
    assert not second.acquire() and not second.held  # another open handle: refused at once
    first.release(delete=True)
    assert not path.exists()
    assert second.acquire()  # free again (a new lock file)
    with pytest.raises(RuntimeError):
        second.acquire()
    second.release()
    assert path.exists()  # kept unless asked to delete
