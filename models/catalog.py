"""The curated list of vision models VisionDesk offers (``catalog.json``, shipped as package data)."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from pathlib import Path
from typing import Any

CATALOG_SCHEMA_VERSION = 1


@dataclasses.dataclass(frozen=True)
class CatalogFile:
    """One file of a catalog entry, with its approximate size for the fit estimate."""

    name: str
    approx_size: int


@dataclasses.dataclass(frozen=True)
class CatalogEntry:
    """One curated vision model: a Hub repository with a model file per quantization and its projector."""

    id: str
    title: str
    repo: str
    params_b: float
    license: str
    good_at: tuple[str, ...]
    description: str
    quantizations: dict[str, CatalogFile]
    default_quant: str
    mmproj: CatalogFile
    kv_bytes_per_token: int
    ram_gb: float
    names_confirmed: str

    def model_file(self, quant: str | None = None) -> CatalogFile:
        """The model file for ``quant`` (the default quantization if None); KeyError if not offered."""
        return self.quantizations[(quant or self.default_quant).upper()]


class ModelCatalog:
    """Read-only access to the curated entries."""

    def __init__(self, entries: list[CatalogEntry]) -> None:
        self._entries = list(entries)

    @classmethod
    def load(cls, path: Path | None = None) -> ModelCatalog:
        """Load the shipped catalog (or another JSON file with the same layout)."""
        if path is None:
            text = resources.files(__package__ or "visiondesk.models").joinpath("catalog.json").read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        data = json.loads(text)
        if int(data.get("schema_version", 0)) != CATALOG_SCHEMA_VERSION:
            raise ValueError(f"catalog schema {data.get('schema_version')} is not {CATALOG_SCHEMA_VERSION}")
        return cls([_entry(e) for e in data["models"]])

    @property
    def entries(self) -> list[CatalogEntry]:
        """All entries, in catalog order."""
        return list(self._entries)

    def find(self, key: str) -> CatalogEntry | None:
        """The entry whose id or repository is ``key`` (case-insensitive)."""
        k = key.lower()
        return next((e for e in self._entries if k in (e.id.lower(), e.repo.lower())), None)

    def good_at(self, use: str) -> list[CatalogEntry]:
        """Entries recommended for a use such as ``ocr``, ``charts``, ``photos`` or ``small laptops``."""
        return [e for e in self._entries if use.lower() in e.good_at]


def _entry(raw: dict[str, Any]) -> CatalogEntry:
    quants = {q.upper(): CatalogFile(v["file"], int(v["size"])) for q, v in raw["quantizations"].items()}
    return CatalogEntry(
        id=raw["id"], title=raw["title"], repo=raw["repo"], params_b=float(raw["params_b"]),
        license=raw["license"], good_at=tuple(raw["good_at"]), description=raw["description"],
        quantizations=quants, default_quant=raw["default_quant"].upper(),
        mmproj=CatalogFile(raw["mmproj"]["file"], int(raw["mmproj"]["size"])),
        kv_bytes_per_token=int(raw["kv_bytes_per_token"]), ram_gb=float(raw["ram_gb"]),
        names_confirmed=raw.get("names_confirmed", ""),
    )
