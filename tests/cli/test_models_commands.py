"""``visiondesk models …`` end to end against the fake Hub, in-process."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from visiondesk.cli import main

from tests.models.conftest import MMPROJ, REPO, open_registry
from tests.models.hf_server import FakeHub


def test_pull_list_verify_remove(fake_hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "pull", REPO]) == 0
    out, err = capsys.readouterr()
    name = out.strip()
    assert name == "tiny-vision-gguf-q4_k_m"
    assert "both verified" in err and "%" in err
    assert main(["models", "list"]) == 0
    out, err = capsys.readouterr()
    assert name in out and "vision" in out and "Total disk use" in err
    assert main(["models", "verify"]) == 0
    assert f"{name}\tok" in capsys.readouterr().out
    folder = open_registry().models_dir / REPO
    assert (folder / MMPROJ).exists()
    assert main(["models", "remove", name, "--yes"]) == 0
    assert not folder.exists() and open_registry().list() == []


def test_bad_input_exits_2_without_traceback(fake_hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "pull", "test-org/text-only-GGUF"]) == 2
    assert main(["models", "pull", REPO, "--quant", "Q2_K"]) == 2
    assert main(["models", "pull", "nobody/nothing"]) == 2
    assert main(["models", "pull", "not-a-repo"]) == 2
    assert main(["models", "remove", "ghost", "--yes"]) == 2
    assert main(["models", "import", "/nonexistent/x.gguf"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "no mmproj" in err and "Q2_K" in err and "ghost" in err


def test_import_with_mismatched_projector_exits_2(gguf_files: object, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    g = gguf_files
    model = Path(shutil.copy(g.model, tmp_path / "tiny-Q4_K_M.gguf"))  # type: ignore[attr-defined]
    assert main(["models", "import", str(model), "--mmproj", str(g.mismatched_mmproj)]) == 2  # type: ignore[attr-defined]
    assert "does not belong" in capsys.readouterr().err
    assert main(["models", "import", str(model), "--mmproj", str(g.mmproj), "--copy"]) == 0  # type: ignore[attr-defined]
    assert capsys.readouterr().out.strip() == "tiny-Q4_K_M"


def test_verify_reports_damage_with_exit_1(gguf_files: object, capsys: pytest.CaptureFixture[str]) -> None:
    g = gguf_files
    assert main(["models", "import", str(g.model), "--mmproj", str(g.mmproj), "--copy", "--name", "t"]) == 0  # type: ignore[attr-defined]
    path = open_registry().get("t").model.path
    path.write_bytes(path.read_bytes()[:-1] + b"\x00")
    assert main(["models", "verify", "t"]) == 1
    assert "DAMAGED" in capsys.readouterr().out


def test_search_and_offline(fake_hub: FakeHub, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["models", "search", "tiny"]) == 0
    assert REPO in capsys.readouterr().out
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["models", "search", "tiny"]) == 1
    assert "Offline mode" in capsys.readouterr().err
