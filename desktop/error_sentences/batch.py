"""Sentences of batch jobs' errors: their inputs, result files, exports and presets."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from .fill import Attributes, Sentence, fill, listed

_T = QCoreApplication


def _not_a_result_row(a: Attributes) -> str:
    if a["resuming"]:
        return fill(_T.translate("EngineErrors", "%1 line %2 is not a VisionDesk result row; write the results to a "
                                 "new file."), a["path"], a["line"])
    return fill(_T.translate("EngineErrors", "%1 line %2 is not a VisionDesk result row (%3)."), a["path"], a["line"],
                a["detail"])


def _bad_preset(a: Attributes) -> str:
    templates = {
        "not_object": _T.translate("EngineErrors", "The preset %1 must be a JSON object."),
        "no_prompt": _T.translate("EngineErrors", "The preset %1 needs a 'prompt' (in English at least)."),
        "schema_not_object": _T.translate("EngineErrors",
                                          "The preset %1 has a 'schema' that is not a JSON object."),
        "bad_export": _T.translate("EngineErrors", "The preset %1 has an 'export' of %2; use 'fields' or "
                                   "'table'."),
    }
    return fill(templates[str(a["problem"])], a["source"], repr(a["export"]))


SENTENCES: dict[str, Sentence] = {
    "batch_input_missing": lambda a: fill(_T.translate(
        "EngineErrors", "%1 does not exist: give image files, folders or a .txt file listing paths."), a["path"]),
    "image_list_unreadable": lambda a: fill(_T.translate(
        "EngineErrors", "Cannot read the list of images %1 (%2)."), a["path"], a["detail"]),
    "not_a_result_row": _not_a_result_row,
    "result_columns_differ": lambda a: fill(_T.translate(
        "EngineErrors", "%1 has the columns %2, but this task writes %3; write the results to a new file."),
        a["path"], ", ".join(listed(a["header"])), ", ".join(listed(a["columns"]))),
    "result_of_another_task": lambda a: fill(_T.translate(
        "EngineErrors", "%1 holds answers of another task (a different prompt, schema or model); write the results to "
        "a new file, or run again the task that wrote it."), a["path"]),
    "export_exists": lambda a: fill(_T.translate(
        "EngineErrors", "%1 already exists; choose another name for the export."), a["path"]),
    "bad_preset": _bad_preset,
    "unknown_preset": lambda a: fill(_T.translate(
        "EngineErrors", "There is no preset named '%1'. Known: %2 (your own go in %3)."), a["name"],
        ", ".join(listed(a["known"])), a["folder"]),
}
