"""Typed errors of batch jobs: their inputs, their result files, their exports and their presets.

Each keeps what its sentence names (a path, a line, a preset's name) and has a stable ``code``, so a window
says it in its own language; the English message is for logs and the command line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from visiondesk.engine import InputError

# mypy cannot follow setuptools' editable-install finder to visiondesk.engine, so the base is ``Any`` to it:
# hence the ``type: ignore[misc]`` on the classes below (as in visiondesk.models.errors).


class InputNotFound(InputError):  # type: ignore[misc]
    """A path given as the batch's input does not exist."""

    code: ClassVar[str] = "batch_input_missing"

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"{path} does not exist: give image files, folders or a .txt file listing paths.")


class ImageListUnreadable(InputError):  # type: ignore[misc]
    """A .txt file listing images cannot be read."""

    code: ClassVar[str] = "image_list_unreadable"

    def __init__(self, path: Path, detail: str) -> None:
        self.path, self.detail = path, detail
        super().__init__(f"Cannot read the list of images {path}: {detail}.")


class NotAResultRow(InputError):  # type: ignore[misc]
    """A line of a result file is not a row VisionDesk wrote (``resuming``: the job was to add to that file)."""

    code: ClassVar[str] = "not_a_result_row"

    def __init__(self, path: Path, line: int, detail: str = "", *, resuming: bool) -> None:
        self.path, self.line, self.detail, self.resuming = path, line, detail, resuming
        super().__init__(f"{path} line {line} is not a VisionDesk result row; write the results to a new file "
                         "(--out)." if resuming else f"{path} line {line} is not a VisionDesk result row: {detail}.")


class ResultColumnsDiffer(InputError):  # type: ignore[misc]
    """A CSV result file to add to has other columns than this task writes."""

    code: ClassVar[str] = "result_columns_differ"

    def __init__(self, path: Path, header: Sequence[str], columns: Sequence[str]) -> None:
        self.path, self.header, self.columns = path, tuple(header), tuple(columns)
        super().__init__(f"{path} has the columns {', '.join(header)}, but this task writes {', '.join(columns)}; "
                         "write the results to a new file (--out).")


class ResultOfAnotherTask(InputError):  # type: ignore[misc]
    """A result file to add to holds answers of another prompt, schema or model."""

    code: ClassVar[str] = "result_of_another_task"

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"{path} holds answers of another task (a different prompt, schema or model); write the "
                         "results to a new file (--out), or re-run the task that wrote it.")


class ExportExists(InputError):  # type: ignore[misc]
    """The file to export to exists already (an export never overwrites)."""

    code: ClassVar[str] = "export_exists"

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"{path} already exists; choose another name for the export.")


class BadPreset(InputError):  # type: ignore[misc]
    """A preset file is not what a preset must be; ``problem`` says which rule it breaks.

    ``problem``: "not_object", "no_prompt", "schema_not_object" or "bad_export" (``export``: the value found).
    """

    code: ClassVar[str] = "bad_preset"

    def __init__(self, source: str, problem: str, export: object = None) -> None:
        self.source, self.problem, self.export = source, problem, export
        messages = {
            "not_object": f"The preset {source} must be a JSON object.",
            "no_prompt": f'The preset {source} needs "prompt": {{"en": "...", "zh": "..."}} (English at least).',
            "schema_not_object": f'The preset {source} has a "schema" that is not a JSON object.',
            "bad_export": f'The preset {source} has "export": {export!r}; use "fields" or "table".',
        }
        super().__init__(messages[problem])


class UnknownPreset(InputError):  # type: ignore[misc]
    """No preset has this name."""

    code: ClassVar[str] = "unknown_preset"

    def __init__(self, name: str, known: Sequence[str], folder: Path) -> None:
        self.name, self.known, self.folder = name, tuple(known), folder
        super().__init__(f"There is no preset named {name!r}. Known: {', '.join(self.known)} (your own go in "
                         f"{folder}, or pass one with --preset-file).")
