r"""The batch's result file (JSON Lines or CSV): appended one complete record at a time, resumable.

Each record goes out as one ``os.write`` of the whole encoded record on an ``O_APPEND`` descriptor,
then ``fsync``: a Ctrl-C or a SIGKILL leaves every finished record intact and at most one partial
record at the end, which the next opening cuts off (JSON Lines records end with ``\n``; CSV records
with ``\r\n``, and line breaks inside a CSV cell are written as a bare ``\n``, so a record's end
cannot be mistaken). Reopening reads which images (by the SHA-256 of their bytes) are already there.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import NotAResultRow, ResultColumnsDiffer, ResultOfAnotherTask

log = logging.getLogger(__name__)

BASE_COLUMNS = ("image", "sha256", "status", "error", "task", "seconds")
CSV_BOM = "\ufeff"  # spreadsheets read the file as UTF-8 only with it


@dataclasses.dataclass(frozen=True)
class ResultRow:
    """One image's outcome: ``status`` is "ok" (``answer`` set) or "error" (``error`` says why)."""

    image: str
    sha256: str
    status: str
    error: str
    task: str
    seconds: float
    answer: Any = None


class ResultFile:
    """An open result file; ``answered`` maps each recorded image hash to the status of its last row."""

    def __init__(self, path: Path, task: str, answer_columns: Sequence[str] = ("answer",)) -> None:
        self.path = Path(path)
        self.task = task
        self.csv = self.path.suffix.lower() == ".csv"
        self.columns = (*BASE_COLUMNS, *answer_columns)
        self.answered: dict[str, str] = {}
        self.dropped_partial = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            self._recover()
        except BaseException:
            os.close(self._fd)
            raise

    # ---- opening -------------------------------------------------------------------------------

    def _recover(self) -> None:
        with open(self._fd, "rb", closefd=False) as f:
            data = f.read()
        end = self._end_of_last_record(data)
        if end < len(data):
            log.warning("%s: dropping a partial last record (%d bytes) left by an interrupted run",
                        self.path, len(data) - end)
            os.ftruncate(self._fd, end)
            self.dropped_partial = True
            data = data[:end]
        if self.csv:
            self._read_csv(data)
        else:
            self._read_jsonl(data)

    def _end_of_last_record(self, data: bytes) -> int:
        mark = b"\r\n" if self.csv else b"\n"
        at = data.rfind(mark)
        return 0 if at < 0 else at + len(mark)

    def _read_jsonl(self, data: bytes) -> None:
        for n, line in enumerate(data.decode("utf-8", "replace").split("\n")[:-1], 1):
            try:
                row = json.loads(line)
                sha, status, task = row["sha256"], row["status"], row["task"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise NotAResultRow(self.path, n, resuming=True) from None
            self._note(sha, status, task)

    def _read_csv(self, data: bytes) -> None:
        text = data.decode("utf-8", "replace").removeprefix(CSV_BOM)
        if not text:
            self._write_record(self._csv_record(list(self.columns)), CSV_BOM)
            return
        rows = csv.reader(io.StringIO(text, newline=""))
        header = tuple(next(rows))
        if header != self.columns:
            raise ResultColumnsDiffer(self.path, header, self.columns)
        for record in rows:
            values = dict(zip(header, record, strict=False))
            self._note(values.get("sha256", ""), values.get("status", ""), values.get("task", ""))

    def _note(self, sha: str, status: str, task: str) -> None:
        if task != self.task:
            raise ResultOfAnotherTask(self.path)
        self.answered[sha] = status

    # ---- writing -------------------------------------------------------------------------------

    def append(self, row: ResultRow) -> None:
        """Write one complete record and make it durable."""
        if self.csv:
            record = self._csv_record(self._csv_cells(row))
        else:
            fields = dataclasses.asdict(row)
            record = json.dumps(fields, ensure_ascii=False, allow_nan=False) + "\n"
        self._write_record(record)
        self.answered[row.sha256] = row.status

    def _write_record(self, record: str, prefix: str = "") -> None:
        # A lone surrogate (a model may write "\ud800") becomes its JSON escape instead of failing.
        data = (prefix + record).encode("utf-8", "backslashreplace")
        written = os.write(self._fd, data)
        if written != len(data):  # disk full: the next run cuts the partial record off
            raise OSError(f"only {written} of {len(data)} bytes of a result record reached {self.path}")
        os.fsync(self._fd)

    def _csv_cells(self, row: ResultRow) -> list[str]:
        cells = [row.image, row.sha256, row.status, row.error, row.task, f"{row.seconds:.2f}"]
        answer_columns = self.columns[len(BASE_COLUMNS):]
        if answer_columns == ("answer",) or not isinstance(row.answer, dict):
            return cells + [_cell(row.answer)] + [""] * (len(answer_columns) - 1)
        return cells + [_cell(row.answer.get(c)) for c in answer_columns]

    @staticmethod
    def _csv_record(cells: list[str]) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerow([c.replace("\r\n", "\n").replace("\r", "\n") for c in cells])
        return out.getvalue()

    def close(self) -> None:
        """Close the file."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> ResultFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _cell(value: Any) -> str:
    """A CSV cell: text as it is, nothing as empty, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
