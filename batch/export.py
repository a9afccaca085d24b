"""A JSON Lines result file exported as CSV (what a window's "Export CSV" needs), the last row per image kept."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from .errors import ExportExists, NotAResultRow
from .result_file import ResultFile, ResultRow


def read_rows(jsonl: Path) -> list[ResultRow]:
    """The rows of a JSON Lines result file, the last one per image (by content hash) in first-seen order."""
    latest: dict[str, ResultRow] = {}
    fields = {f.name for f in dataclasses.fields(ResultRow)}
    for n, line in enumerate(Path(jsonl).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            row = ResultRow(**{k: v for k, v in raw.items() if k in fields})
        except (json.JSONDecodeError, TypeError) as exc:
            raise NotAResultRow(jsonl, n, str(exc), resuming=False) from None
        latest[row.sha256 or row.image] = row
    return list(latest.values())


def export_csv(jsonl: Path, csv_path: Path, answer_columns: Sequence[str] = ("answer",)) -> int:
    """Write the rows of ``jsonl`` to a new CSV file (refused if it exists); returns how many rows."""
    if Path(csv_path).exists():
        raise ExportExists(csv_path)
    rows = read_rows(jsonl)
    task = rows[0].task if rows else ""
    with ResultFile(csv_path, task, answer_columns) as out:
        for row in rows:
            out.append(dataclasses.replace(row, task=task) if row.task != task else row)
    return len(rows)
