"""Imports under names in any script (kept, made safe for every platform) and of paths that are no file."""

from __future__ import annotations

import shutil
import unicodedata
from pathlib import Path

import pytest
from visiondesk.engine.errors import NotAModelFile, NotAProjector
from visiondesk.models.local_models import import_local_model
from visiondesk.models.naming import safe_folder_name
from visiondesk.models.pairing import check_model_pair

from .conftest import open_registry


@pytest.fixture
def chinese_files(gguf_files: object, tmp_path: Path) -> tuple[Path, Path]:
    src = tmp_path / "下载"
    src.mkdir()
    model = Path(shutil.copy(gguf_files.model, src / "视觉模型-Q4_K_M.gguf"))  # type: ignore[attr-defined]
    mmproj = Path(shutil.copy(gguf_files.mmproj, src / "视觉模型-mmproj-f16.gguf"))  # type: ignore[attr-defined]
    return model, mmproj


def test_chinese_names_imported_twice_under_two_display_names(chinese_files: tuple[Path, Path],
                                                              isolated_dirs: Path) -> None:
    model, mmproj = chinese_files
    reg = open_registry()
    first = import_local_model(reg, model, mmproj, copy=True, name="视觉模型")
    second = import_local_model(reg, model, mmproj, copy=True, name="另一个视觉模型")
    models = isolated_dirs / "models"
    assert first.model.path == models / "视觉模型" / "视觉模型-Q4_K_M.gguf"
    assert second.model.path == models / "另一个视觉模型" / "视觉模型-Q4_K_M.gguf"
    assert second.mmproj is not None and second.mmproj.path.parent == models / "另一个视觉模型"
    assert first.model.path.read_bytes() == second.model.path.read_bytes() == model.read_bytes()
    assert {m.name for m in open_registry().list()} == {"视觉模型", "另一个视觉模型"}
    # A third time without a name: the file's own name, made unique, in a folder of its own.
    third = import_local_model(reg, model, mmproj, copy=True)
    assert third.name == "视觉模型-Q4_K_M" and third.model.path.parent == models / "视觉模型-Q4_K_M"
    assert reg.remove("视觉模型") == first.size and second.model.path.exists()


def test_names_that_make_the_same_folder_get_distinct_folders(chinese_files: tuple[Path, Path],
                                                              isolated_dirs: Path) -> None:
    model, mmproj = chinese_files
    reg = open_registry()
    a = import_local_model(reg, model, mmproj, copy=True, name="模型:测试")
    b = import_local_model(reg, model, mmproj, copy=True, name="模型*测试")
    assert a.model.path.parent.name == "模型_测试" and b.model.path.parent.name == "模型_测试-2"


@pytest.mark.parametrize(("name", "folder"), [
    ("视觉模型", "视觉模型"),
    ("cafe\u0301", "caf\u00e9"),  # decomposed é (as macOS hands it over) is stored composed
    ('a/b\\c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j"),
    ("tab\there\x00\x1f\x7f", "tab_here___"),
    ("trailing dots... ", "trailing dots"),
    ("CON", "_CON"),
    ("nul.txt", "_nul.txt"),
    ("com1", "_com1"),
    ("CONSOLE", "CONSOLE"),
    ("..", "unnamed"),
    ("", "unnamed"),
])
def test_safe_folder_name(name: str, folder: str) -> None:
    assert safe_folder_name(name) == folder


def test_safe_folder_name_fits_file_system_limits() -> None:
    long = safe_folder_name("模" * 200)  # 600 bytes of UTF-8
    assert long == "模" * 66 and len(long.encode()) <= 200
    assert unicodedata.is_normalized("NFC", safe_folder_name("e\u0301" * 150))


def test_import_names_folders_and_link_loops(gguf_files: object, tmp_path: Path) -> None:
    reg = open_registry()
    with pytest.raises(NotAModelFile, match=f"The model path {tmp_path} is a folder, not a GGUF file"):
        import_local_model(reg, tmp_path)
    loop = tmp_path / "loop.gguf"
    loop.symlink_to(loop)
    with pytest.raises(NotAModelFile, match="is a symbolic link that leads back to itself"):
        import_local_model(reg, loop)
    with pytest.raises(NotAModelFile, match=f"The projector path {tmp_path} is a folder"):
        import_local_model(reg, gguf_files.model, tmp_path)  # type: ignore[attr-defined]
    assert reg.list() == []


def test_projector_checked_as_a_model_reads_as_one_sentence(gguf_files: object) -> None:
    mmproj = gguf_files.mmproj  # type: ignore[attr-defined]
    with pytest.raises(NotAProjector) as info:
        check_model_pair(mmproj, None)
    assert str(info.value).startswith(f"{mmproj} is a vision projector (mmproj), not a model. Pass it as the mmproj")
    assert "'clip" not in str(info.value)
