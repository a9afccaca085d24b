"""The curated list of vision models VisionDesk offers (``catalog.json``, shipped as package data)."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from pathlib import Path
from typing import Any

CATALOG_SCHEMA_VERSION = 1


# Bytes per weight of common quantizations (llama.cpp's block formats, embeddings and output included,
# measured on published files): the fit estimate's stand-in while a file's size is not confirmed.
BYTES_PER_PARAM = {"Q4_0": 0.58, "Q4_K_M": 0.62, "Q5_K_M": 0.72, "Q6_K": 0.82, "Q8_0": 1.07, "F16": 2.0, "BF16": 2.0}
TYPICAL_PROJECTOR_BYTES = 900_000_000  # an f16 SigLIP/ViT projector; Q8_0 ones are about half


@dataclasses.dataclass(frozen=True)
class CatalogFile:
    """One file of a catalog entry, with its approximate size for the fit estimate (None: not confirmed)."""

    name: str
    approx_size: int | None


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
    mmproj: CatalogFile | None  # None only for an entry that runs on a remote server
    kv_bytes_per_token: int
    ram_gb: float
    names_confirmed: str
    remote: str = ""  # not a download: how and where this model runs instead (a remote server)

    def model_file(self, quant: str | None = None) -> CatalogFile:
        """The model file for ``quant`` (the default quantization if None); KeyError if not offered."""
        return self.quantizations[(quant or self.default_quant).upper()]

    def approx_bytes(self, quant: str | None = None) -> int | None:
        """Model plus projector download size, if both sizes are confirmed."""
        model = self.model_file(quant).approx_size
        projector = self.mmproj.approx_size if self.mmproj is not None else 0
        return None if model is None or projector is None else model + projector

    def estimated_bytes(self, quant: str | None = None) -> tuple[int, int]:
        """(model, projector) bytes for the fit estimate.

        The confirmed sizes where known; else the parameter count times the quantization's bytes per
        weight, and a typical projector.
        """
        q = (quant or self.default_quant).upper()
        model = self.model_file(q).approx_size
        if model is None:
            model = int(self.params_b * 1e9 * BYTES_PER_PARAM.get(q, BYTES_PER_PARAM["Q8_0"]))
        projector = self.mmproj.approx_size if self.mmproj is not None else 0
        return model, TYPICAL_PROJECTOR_BYTES if projector is None else projector


class ModelCatalog:
    """Read-only access to the curated entries."""

    def __init__(self, entries: list[CatalogEntry]) -> None:
        self._all = list(entries)
        self._entries = [e for e in self._all if not e.remote]

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
        """The entries that can be downloaded, in catalog order."""
        return list(self._entries)

    @property
    def remote_entries(self) -> list[CatalogEntry]:
        """Entries that run on a remote server instead (``remote`` says how), in catalog order."""
        return [e for e in self._all if e.remote]

    def find(self, key: str) -> CatalogEntry | None:
        """The entry whose id or repository is ``key`` (case-insensitive), remote ones included."""
        k = key.lower()
        return next((e for e in self._all if k == e.id.lower() or (e.repo and k == e.repo.lower())), None)

    def good_at(self, use: str) -> list[CatalogEntry]:
        """Entries recommended for a use such as ``ocr``, ``charts``, ``photos`` or ``small laptops``."""
        return [e for e in self._entries if use.lower() in e.good_at]


def _file(raw: dict[str, Any]) -> CatalogFile:
    size = raw.get("size")
    return CatalogFile(raw["file"], int(size) if size is not None else None)


def _entry(raw: dict[str, Any]) -> CatalogEntry:
    quants = {q.upper(): _file(v) for q, v in raw.get("quantizations", {}).items()}
    remote = raw.get("remote", "")
    if not remote and (not quants or not raw.get("mmproj")):
        raise ValueError(f"catalog entry {raw.get('id')!r} has no files and does not say where it runs")
    return CatalogEntry(
        id=raw["id"], title=raw["title"], repo=raw.get("repo", ""), params_b=float(raw["params_b"]),
        license=raw["license"], good_at=tuple(raw["good_at"]), description=raw["description"],
        quantizations=quants, default_quant=raw.get("default_quant", "").upper(),
        mmproj=_file(raw["mmproj"]) if raw.get("mmproj") else None,
        kv_bytes_per_token=int(raw["kv_bytes_per_token"]), ram_gb=float(raw["ram_gb"]),
        names_confirmed=raw.get("names_confirmed", ""), remote=remote,
    )
