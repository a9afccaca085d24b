"""Task presets: a prompt (English and Chinese) plus a JSON schema, kept as JSON files users can copy and edit.

The built-in ones ship in ``presets/``. A user's own go into ``<data dir>/presets/`` (a file there with
a built-in's name replaces it), or are passed by path. A preset file holds ``name``, ``title`` and
``prompt`` (each ``{"en": ..., "zh": ...}``), ``schema`` (a JSON Schema, or null for free text) and
optionally ``export``: ``"table"`` when the answer is ``{"columns": [...], "rows": [[...]]}`` and each
image's table should also be written as a CSV file of its own.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from visiondesk.core.paths import DataPaths
from visiondesk.engine import ResponseFormat
from visiondesk.engine.structured import read_json_file

from .errors import BadPreset, UnknownPreset

LANGUAGES = ("en", "zh")


@dataclasses.dataclass(frozen=True)
class Preset:
    """One task: what to ask and the shape of the answer."""

    name: str
    titles: Mapping[str, str]
    prompts: Mapping[str, str]
    schema: Mapping[str, Any] | None
    export: str  # "fields" (one row per image) or "table" (also a CSV file per image)
    source: str  # where it was read from, for messages

    def prompt(self, language: str) -> str:
        """The prompt in ``language``, falling back to English."""
        return self.prompts.get(language) or self.prompts["en"]

    def response_format(self) -> ResponseFormat | None:
        """The answer's format; raises ``UnsupportedSchema`` for a schema generation cannot enforce."""
        return ResponseFormat.json_schema(self.schema, self.name) if self.schema is not None else None


def user_presets_dir() -> Path:
    """Where a user's own presets live (not created here)."""
    folder: Path = DataPaths.default().presets
    return folder


def read_preset(path: Path) -> Preset:
    """Read a preset file; raises ``BadPreset`` (or the file's ``JsonFileUnreadable``) saying what is wrong."""
    return _parse(read_json_file(path, "preset"), str(path))


def _parse(raw: Any, source: str) -> Preset:
    if not isinstance(raw, dict):
        raise BadPreset(source, "not_object")
    prompts = raw.get("prompt")
    if isinstance(prompts, str):
        prompts = {"en": prompts}
    if not isinstance(prompts, dict) or not isinstance(prompts.get("en"), str) or not prompts["en"].strip():
        raise BadPreset(source, "no_prompt")
    schema = raw.get("schema")
    if schema is not None and not isinstance(schema, dict):
        raise BadPreset(source, "schema_not_object")
    export = raw.get("export", "fields")
    if export not in ("fields", "table"):
        raise BadPreset(source, "bad_export", export)
    name = raw.get("name") or Path(source).stem
    title = raw.get("title")
    titles = {str(k): str(v) for k, v in title.items()} if isinstance(title, dict) else {"en": str(title or name)}
    return Preset(str(name), titles, prompts, schema, export, source)


def builtin_presets() -> dict[str, Preset]:
    """The presets shipped with VisionDesk, by name."""
    out: dict[str, Preset] = {}
    for entry in sorted(resources.files(__package__).joinpath("presets").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            preset = _parse(json.loads(entry.read_text(encoding="utf-8")), str(entry))
            out[preset.name] = preset
    return out


def all_presets() -> dict[str, Preset]:
    """Built-in presets, replaced or extended by those in the user's presets folder."""
    presets = builtin_presets()
    folder = user_presets_dir()
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            preset = read_preset(path)
            presets[preset.name] = preset
    return presets


def find_preset(name: str) -> Preset:
    """A preset by name; raises ``UnknownPreset`` listing the known ones."""
    presets = all_presets()
    if name not in presets:
        raise UnknownPreset(name, sorted(presets), user_presets_dir())
    return presets[name]
