"""``visiondesk batch`` in-process with the real local engine: CSV output, table files, clear refusals."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from visiondesk.cli import main

from tests.batch.conftest import make_images


def run(models: tuple[Path, Path], *args: str) -> int:
    return main(["batch", "--model", str(models[0]), "--mmproj", str(models[1]), "--threads", "1", "--no-progress",
                 "--temperature", "0.7", "--seed", "1", *args])


def test_csv_output_with_the_presets_columns(json_models: tuple[Path, Path], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    make_images(tmp_path / "in", 6, broken=2)
    out = tmp_path / "receipts.csv"
    assert run(json_models, "--preset", "receipt", "--language", "zh", str(tmp_path / "in"), "--out", str(out)) == 0
    with open(out, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        records = list(reader)
    assert reader.fieldnames == ["image", "sha256", "status", "error", "task", "seconds",
                                 "merchant", "date", "currency", "items", "total"]
    assert sorted(r["status"] for r in records) == ["error"] * 2 + ["ok"] * 4
    for r in records:
        if r["status"] == "ok":
            assert isinstance(json.loads(r["items"]), list) and isinstance(json.loads(r["total"]), (int, float))
    assert "done 4, failed 2" in capsys.readouterr().err


def test_the_table_preset_writes_each_table_as_csv(json_models: tuple[Path, Path], tmp_path: Path) -> None:
    make_images(tmp_path / "in", 2)
    out = tmp_path / "charts.jsonl"
    assert run(json_models, "--preset", "table", str(tmp_path / "in"), "--out", str(out)) == 0
    answers = {Path(r["image"]).stem: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    tables = sorted((tmp_path / "charts.tables").iterdir())
    assert len(tables) == 2
    for table in tables:
        stem, _, short = table.stem.rpartition("-")
        answer = answers[stem]
        assert answer["sha256"].startswith(short)
        with open(table, encoding="utf-8-sig", newline="") as f:
            header, *body = list(csv.reader(f))
        assert header == answer["answer"]["columns"]
        assert len(body) == len(answer["answer"]["rows"])


def test_an_unsupported_schema_is_refused_before_the_model_loads(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"type": "object", "properties": {"n": {"type": "integer", "maximum": 9}}}))
    make_images(tmp_path / "in", 1)
    missing = (tmp_path / "no-model.gguf", tmp_path / "no-mmproj.gguf")  # loading them would fail differently
    code = run(missing, "--prompt", "Count.", "--json-schema", str(schema), str(tmp_path / "in"),
               "--out", str(tmp_path / "r.jsonl"))
    err = capsys.readouterr().err
    assert code == 2
    assert '"maximum" at /properties/n' in err and "no-model" not in err
    assert not (tmp_path / "r.jsonl").exists() or (tmp_path / "r.jsonl").read_bytes() == b""


def test_a_user_preset_replaces_a_builtin_and_a_preset_file_works(json_models: tuple[Path, Path], tmp_path: Path,
                                                                  isolated_data_dir: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    mine = {"name": "receipt", "prompt": {"en": "Just the total."},
            "schema": {"type": "object", "properties": {"total": {"type": "number"}}, "required": ["total"]}}
    (isolated_data_dir / "presets").mkdir(parents=True)
    (isolated_data_dir / "presets" / "receipt.json").write_text(json.dumps(mine), encoding="utf-8")
    make_images(tmp_path / "in", 1)
    out = tmp_path / "r.csv"
    assert run(json_models, "--preset", "receipt", str(tmp_path / "in"), "--out", str(out)) == 0
    assert out.read_text(encoding="utf-8-sig").splitlines()[0].endswith(",seconds,total")
    broken = tmp_path / "broken.json"
    broken.write_text('{"prompt": {"zh": "only Chinese"}}', encoding="utf-8")
    assert run(json_models, "--preset-file", str(broken), str(tmp_path / "in"), "--out", str(tmp_path / "b.csv")) == 2
    assert "English at least" in capsys.readouterr().err


def test_bad_inputs_are_named(json_models: tuple[Path, Path], tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    assert run(json_models, "--preset", "receipt", str(tmp_path / "nowhere"), "--out", str(tmp_path / "r.csv")) == 2
    assert "nowhere does not exist" in capsys.readouterr().err
    assert run(json_models, "--preset", "nope", str(tmp_path), "--out", str(tmp_path / "r.csv")) == 2
    assert "no preset named 'nope'" in capsys.readouterr().err
    assert run(json_models, "--preset", "receipt", str(tmp_path), "--out", str(tmp_path / "r.xlsx")) == 2
    assert ".jsonl or .csv" in capsys.readouterr().err


def test_a_prompt_with_json_gives_objects(json_models: tuple[Path, Path], tmp_path: Path) -> None:
    make_images(tmp_path / "in", 3)
    out = tmp_path / "r.jsonl"
    assert run(json_models, "--prompt", "Anything as JSON.", "--json", str(tmp_path / "in"), "--out", str(out)) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 3 and all(isinstance(r["answer"], dict) for r in rows)


def test_a_batch_opens_the_projector_at_load(tmp_path: Path) -> None:
    """Every request of a batch has an image: the first one should not also wait for the projector to open."""
    from visiondesk.cli import build_parser
    from visiondesk.cli.batch_command import _local_spec

    args = build_parser().parse_args(["batch", "--model", str(tmp_path / "m.gguf"), "--mmproj",
                                      str(tmp_path / "p.gguf"), "--prompt", "What is this?", str(tmp_path),
                                      "--out", str(tmp_path / "o.jsonl")])
    assert _local_spec(args).tuning.lazy_projector is False
