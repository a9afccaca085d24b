"""A table answer (``{"columns": [...], "rows": [[...], ...]}``) as a CSV file of its own."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any


def write_table_csv(answer: Any, path: Path) -> bool:
    """Write the table in ``answer`` to ``path`` (atomically); False when the answer holds no table."""
    if not isinstance(answer, dict) or not isinstance(answer.get("columns"), list):
        return False
    columns = [str(c) for c in answer["columns"]]
    rows = [r for r in answer.get("rows") or [] if isinstance(r, list)]
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    with open(part, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for row in rows:
            # A model may give a row too many or too few cells: pad or cut it to the header's width.
            cells = ["" if c is None else str(c) for c in row][:len(columns)]
            writer.writerow(cells + [""] * (len(columns) - len(cells)))
    os.replace(part, path)
    return True
