"""The installed models: a JSON index beside the models folder, written atomically (tmp + os.replace)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from .errors import ModelNotInstalled

logger = logging.getLogger(__name__)
REGISTRY_SCHEMA_VERSION = 1


@dataclasses.dataclass(frozen=True)
class InstalledFile:
    """One file of an installed model."""

    path: Path
    size: int
    sha256: str


@dataclasses.dataclass(frozen=True)
class InstalledModel:
    """A model that is on disk and verified (or referenced in place, for local imports)."""

    name: str
    model: InstalledFile
    mmproj: InstalledFile | None
    quant: str
    source: str  # "hf:<repo>@<commit>" or "local:<original path>"
    verified_at: str  # ISO 8601, UTC
    owned: bool = True  # False: referenced in place, removing it never deletes the user's files
    architecture: str = ""

    @property
    def size(self) -> int:
        """Bytes on disk of both files."""
        return self.model.size + (self.mmproj.size if self.mmproj else 0)

    @property
    def has_vision(self) -> bool:
        """Whether a projector is attached."""
        return self.mmproj is not None


def utc_now() -> str:
    """The current time as an ISO 8601 string (UTC, seconds)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


class ModelRegistry:
    """Reads and writes the index ``path`` of the models kept in ``models_dir``, thread-safe.

    Every change re-reads the file first (another process may have changed it) and replaces it
    atomically, so a crash never leaves half a registry.
    """

    def __init__(self, path: Path, models_dir: Path) -> None:
        self.path = Path(path)
        self.models_dir = Path(models_dir)  # where downloaded and copied models live
        self._lock = threading.RLock()

    def list(self) -> list[InstalledModel]:
        """Installed models, sorted by name."""
        with self._lock:
            return sorted(self._read().values(), key=lambda m: m.name)

    def get(self, name: str) -> InstalledModel:
        """The installed model called ``name``; ``ModelNotInstalled`` otherwise."""
        with self._lock:
            models = self._read()
        if name not in models:
            raise ModelNotInstalled(name)
        return models[name]

    def add(self, model: InstalledModel) -> None:
        """Register (or replace) a model. Call only once both of its files are verified."""
        with self._lock:
            models = self._read()
            models[model.name] = model
            self._write(models)
        logger.info("registered %s (%s)", model.name, model.source)

    def touch_verified(self, name: str, when: str | None = None) -> InstalledModel:
        """Record a successful re-verification."""
        with self._lock:
            models = self._read()
            if name not in models:
                raise ModelNotInstalled(name)
            models[name] = dataclasses.replace(models[name], verified_at=when or utc_now())
            self._write(models)
            return models[name]

    def remove(self, name: str) -> int:
        """Unregister a model and delete the files VisionDesk owns; returns the bytes freed."""
        with self._lock:
            models = self._read()
            if name not in models:
                raise ModelNotInstalled(name)
            model = models.pop(name)
            self._write(models)
        freed = 0
        # Two quantizations of one repository share its projector file: keep files still in use.
        in_use = {f.path for m in models.values() for f in (m.model, m.mmproj) if f is not None}
        if model.owned:
            for f in (model.model, model.mmproj):
                if f is not None and f.path not in in_use and f.path.exists() and self._inside_models_dir(f.path):
                    freed += f.path.stat().st_size
                    f.path.unlink()
            self.prune_empty(model.model.path.parent)
        logger.info("removed %s, freed %d bytes", name, freed)
        return freed

    def total_disk_use(self) -> int:
        """Bytes taken by the models VisionDesk owns."""
        return sum(m.size for m in self.list() if m.owned)

    def unique_name(self, wanted: str) -> str:
        """``wanted`` or ``wanted-2``, ``wanted-3``… if taken."""
        taken = {m.name for m in self.list()}
        name, n = wanted, 2
        while name in taken:
            name, n = f"{wanted}-{n}", n + 1
        return name

    def _inside_models_dir(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self.models_dir.resolve())
        except ValueError:
            return False
        return True

    def prune_empty(self, folder: Path) -> None:
        """Remove ``folder`` and its parents up to the models folder while they are empty."""
        top = self.models_dir.resolve()
        p = folder.resolve()
        while p != top and top in p.parents:
            try:
                p.rmdir()
            except OSError:
                return
            p = p.parent

    def _read(self) -> dict[str, InstalledModel]:
        try:
            raw = json.loads(self.path.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, json.JSONDecodeError) as exc:
            broken = self.path.with_suffix(".broken.json")
            logger.error("registry %s unreadable (%s); moved aside to %s", self.path, exc, broken)
            shutil.copy2(self.path, broken)
            return {}
        return {m["name"]: _from_json(m) for m in raw.get("models", [])}

    def _write(self, models: dict[str, InstalledModel]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"schema_version": REGISTRY_SCHEMA_VERSION,
                "models": [_to_json(m) for m in sorted(models.values(), key=lambda m: m.name)]}
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".registry-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=2)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _file_to_json(f: InstalledFile | None) -> dict[str, Any] | None:
    return None if f is None else {"path": str(f.path), "size": f.size, "sha256": f.sha256}


def _file_from_json(d: dict[str, Any] | None) -> InstalledFile | None:
    return None if d is None else InstalledFile(Path(d["path"]), int(d["size"]), str(d["sha256"]))


def _to_json(m: InstalledModel) -> dict[str, Any]:
    return {"name": m.name, "model": _file_to_json(m.model), "mmproj": _file_to_json(m.mmproj), "quant": m.quant,
            "source": m.source, "verified_at": m.verified_at, "owned": m.owned, "architecture": m.architecture}


def _from_json(d: dict[str, Any]) -> InstalledModel:
    model = _file_from_json(d["model"])
    assert model is not None
    return InstalledModel(name=d["name"], model=model, mmproj=_file_from_json(d.get("mmproj")),
                          quant=d.get("quant", "unknown"), source=d.get("source", ""),
                          verified_at=d.get("verified_at", ""), owned=bool(d.get("owned", True)),
                          architecture=d.get("architecture", ""))
