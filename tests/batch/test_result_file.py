"""The result file alone: whole records only, a partial last record cut off, other tasks refused, CSV readable."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from visiondesk.batch import ResultFile, ResultRow
from visiondesk.engine import InputError


def row(n: int, status: str = "ok", answer: object = None) -> ResultRow:
    return ResultRow(f"/photos/{n}.jpg", f"{n:064x}", status, "" if status == "ok" else "broken", "task1", 0.5,
                     answer if answer is not None or status != "ok" else {"total": n, "merchant": f"shop {n}"})


def test_jsonl_records_are_whole_lines_and_reopening_knows_them(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    with ResultFile(out, "task1") as f:
        f.append(row(1))
        f.append(row(2, "error"))
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["sha256"] for line in lines] == [f"{1:064x}", f"{2:064x}"]
    with ResultFile(out, "task1") as again:
        assert again.answered == {f"{1:064x}": "ok", f"{2:064x}": "error"}
        assert not again.dropped_partial


def test_a_partial_last_line_is_cut_off_on_reopening(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    with ResultFile(out, "task1") as f:
        f.append(row(1))
    whole = out.read_bytes()
    with open(out, "ab") as f:  # what a kill in the middle of a write would leave
        f.write(b'{"image": "/photos/2.jpg", "sha256": "00')
    with ResultFile(out, "task1") as again:
        assert again.dropped_partial
        assert list(again.answered) == [f"{1:064x}"]
        again.append(row(3))
    lines = out.read_bytes().split(b"\n")
    assert out.read_bytes().startswith(whole) and lines[-1] == b""
    assert [json.loads(line)["image"] for line in lines[:-1]] == ["/photos/1.jpg", "/photos/3.jpg"]


def test_another_tasks_file_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    with ResultFile(out, "task1") as f:
        f.append(row(1))
    with pytest.raises(InputError, match="another task"):
        ResultFile(out, "task2")


def test_a_file_that_is_not_ours_is_refused_and_kept(tmp_path: Path) -> None:
    out = tmp_path / "notes.jsonl"
    out.write_text("my own notes\n", encoding="utf-8")
    with pytest.raises(InputError, match="line 1 is not a VisionDesk result row"):
        ResultFile(out, "task1")
    assert out.read_text(encoding="utf-8") == "my own notes\n"


def test_csv_opens_with_the_csv_module_with_the_schema_columns(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    with ResultFile(out, "task1", ("merchant", "total", "items")) as f:
        f.append(row(1, answer={"merchant": "Café \"Zur Post\"\nBerlin", "total": 12.5,
                                "items": [{"name": "茶", "qty": 2}]}))
        f.append(row(2, "error"))
    with open(out, encoding="utf-8-sig", newline="") as fh:
        records = list(csv.DictReader(fh))
    assert list(records[0]) == ["image", "sha256", "status", "error", "task", "seconds", "merchant", "total", "items"]
    assert records[0]["merchant"] == "Café \"Zur Post\"\nBerlin"
    assert json.loads(records[0]["total"]) == 12.5
    assert json.loads(records[0]["items"]) == [{"name": "茶", "qty": 2}]
    assert records[1]["status"] == "error" and records[1]["merchant"] == ""


def test_csv_partial_record_with_a_line_break_inside_a_cell_is_cut_off(tmp_path: Path) -> None:
    """A cell's line break is a bare \\n, a record ends with \\r\\n: a cut after the inner break is still found."""
    out = tmp_path / "r.csv"
    with ResultFile(out, "task1", ("merchant", "total")) as f:
        f.append(row(1))
    with open(out, "ab") as fh:
        fh.write(f'/photos/2.jpg,{2:064x},ok,,task1,0.5,"two\nlines'.encode())
    with ResultFile(out, "task1", ("merchant", "total")) as again:
        assert again.dropped_partial and list(again.answered) == [f"{1:064x}"]


def test_csv_with_other_columns_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    ResultFile(out, "task1", ("merchant",)).close()
    with pytest.raises(InputError, match="columns"):
        ResultFile(out, "task1", ("total",))


def test_jsonl_exports_to_csv_keeping_the_last_row_per_image(tmp_path: Path) -> None:
    from visiondesk.batch.export import export_csv

    src = tmp_path / "r.jsonl"
    with ResultFile(src, "task1") as f:
        f.append(row(1, "error"))
        f.append(row(2))
        f.append(row(1))  # a later retry answered it
    dst = tmp_path / "r.csv"
    assert export_csv(src, dst, ("merchant", "total")) == 2
    with open(dst, encoding="utf-8-sig", newline="") as fh:
        records = list(csv.DictReader(fh))
    assert [(r["image"], r["status"], r["total"]) for r in records] == [("/photos/1.jpg", "ok", "1"),
                                                                        ("/photos/2.jpg", "ok", "2")]
    with pytest.raises(InputError, match="already exists"):
        export_csv(src, dst)
