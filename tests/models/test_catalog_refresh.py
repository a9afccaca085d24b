"""The refreshed catalog: current small and mid-size families, unconfirmed sizes, and a remote-only entry."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from visiondesk.engine import InputError
from visiondesk.models.catalog import ModelCatalog
from visiondesk.models.fit import GIB, MachineMemory
from visiondesk.models.manager import ModelManager
from visiondesk.models.naming import is_mmproj_name, quant_from_filename
from visiondesk.models.registry import ModelRegistry

LAPTOP = MachineMemory(ram_total=16 * GIB, ram_available=12 * GIB)


def test_current_families_are_offered_with_checked_names() -> None:
    cat = ModelCatalog.load()
    ids = {e.id for e in cat.entries}
    assert {"qwen3-vl-2b", "qwen3-vl-4b", "qwen3-vl-8b", "gemma-3-4b", "gemma-3-12b", "internvl3-2b",
            "smolvlm2-2.2b", "minicpm-v-4.5", "lfm2-vl-1.6b"} <= ids
    for e in cat.entries:
        assert e.mmproj is not None and is_mmproj_name(e.mmproj.name), e.id
        assert all(quant_from_filename(f.name) == q for q, f in e.quantizations.items()), e.id
        assert e.names_confirmed and e.license and e.description and e.ram_gb > 0, e.id
    qwen7 = cat.find("qwen2.5-vl-7b")
    assert qwen7 is not None and qwen7.mmproj is not None
    assert qwen7.mmproj.name == "mmproj-Qwen2.5-VL-7B-Instruct-Q8_0.gguf"  # corrected: the f16 name was never seen
    gemma12 = cat.find("gemma-3-12b")
    assert gemma12 is not None and gemma12.model_file().name == "gemma-3-12b-it-Q4_K_M.gguf"


def test_unconfirmed_sizes_stay_unknown_and_the_fit_is_still_estimated(tmp_path: Path) -> None:
    cat = ModelCatalog.load()
    unknown = [e for e in cat.entries if e.approx_bytes() is None]
    assert unknown, "some sizes could not be confirmed and must stay null, not guessed"
    manager = ModelManager(ModelRegistry(tmp_path / "index.json", tmp_path / "models"), catalog=cat,
                           memory=lambda: LAPTOP)
    for e in cat.entries:
        model, projector = e.estimated_bytes()
        assert model > 0 and projector > 0, e.id
        fit = manager.fit_for_entry(e)
        assert fit.needed_bytes > model, e.id
    raw = json.loads((Path(__file__).parents[2] / "models" / "catalog.json").read_text("utf-8"))
    sizes = [f["size"] for m in raw["models"] for f in [*m.get("quantizations", {}).values(), m.get("mmproj") or {}]
             if f]
    assert None in sizes and all(s is None or s > 10_000_000 for s in sizes)


def test_llama_vision_is_a_remote_entry_not_a_download(tmp_path: Path) -> None:
    cat = ModelCatalog.load()
    llama = cat.find("llama-3.2-11b-vision")
    assert llama is not None and llama in cat.remote_entries and llama not in cat.entries
    assert "remote server" in llama.remote and llama.mmproj is None and not llama.quantizations
    manager = ModelManager(ModelRegistry(tmp_path / "index.json", tmp_path / "models"), catalog=cat,
                           memory=lambda: LAPTOP)
    with pytest.raises(InputError, match="not downloaded: runs through a remote server"):
        manager.plan("llama-3.2-11b-vision")


def test_an_entry_without_files_or_a_server_is_refused(tmp_path: Path) -> None:
    raw = json.loads((Path(__file__).parents[2] / "models" / "catalog.json").read_text("utf-8"))
    broken = dict(raw["models"][-1])
    broken.pop("remote")
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps({**raw, "models": [broken]}), "utf-8")
    with pytest.raises(ValueError, match="does not say where it runs"):
        ModelCatalog.load(path)
