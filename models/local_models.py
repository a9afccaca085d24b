"""Import GGUF files from disk into the registry, and verify installed models again."""

from __future__ import annotations

import dataclasses
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

from visiondesk.engine.errors import ModelFileMissing, NotAModelFile
from visiondesk.engine.file_kind import path_problem

from .errors import ImportNameTaken
from .hashing import sha256_file
from .naming import safe_folder_name
from .pairing import describe_quant, find_mmproj_beside, require_pair
from .registry import InstalledFile, InstalledModel, ModelRegistry, utc_now

logger = logging.getLogger(__name__)


def import_local_model(registry: ModelRegistry, model_path: Path, mmproj_path: Path | None = None, *,
                       copy: bool = False, name: str | None = None, find_mmproj: bool = True) -> InstalledModel:
    """Check the pair, hash both files and register them (copied under the data dir, or referenced in place).

    Without ``mmproj_path`` a fitting projector in the same folder is attached when there is one; a
    projector that does not fit the model raises ``InputError`` with the reason.
    """
    model_path = _regular_file(Path(model_path).expanduser(), "model")
    if mmproj_path is None and find_mmproj:
        mmproj_path = find_mmproj_beside(model_path)
        if mmproj_path is not None:
            logger.info("found projector %s beside %s", mmproj_path.name, model_path.name)
    if mmproj_path is not None:
        mmproj_path = _regular_file(Path(mmproj_path).expanduser(), "projector")
    check = require_pair(model_path, mmproj_path)
    name = registry.unique_name(name or model_path.stem)
    if copy:
        folder = _new_folder(registry.models_dir, safe_folder_name(name))
        try:
            model_path = _copy_into(model_path, folder)
            if mmproj_path is not None:
                mmproj_path = _copy_into(mmproj_path, folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)  # made for this import a moment ago: nothing else is in it
            raise
    installed = InstalledModel(
        name=name, model=_installed_file(model_path),
        mmproj=_installed_file(mmproj_path) if mmproj_path is not None else None,
        quant=describe_quant(model_path), source=f"local:{model_path}", verified_at=utc_now(), owned=copy,
        architecture=check.model.architecture)
    registry.add(installed)
    return installed


@dataclasses.dataclass(frozen=True)
class VerifyReport:
    """The outcome of verifying one installed model again."""

    name: str
    ok: bool
    problems: tuple[str, ...]


def verify_installed(registry: ModelRegistry, name: str, *,
                     on_bytes: Callable[[int], None] | None = None) -> VerifyReport:
    """Re-hash an installed model's files against the hashes recorded when it was installed."""
    model = registry.get(name)
    problems: list[str] = []
    for f in (model.model, model.mmproj):
        if f is None:
            continue
        if not f.path.is_file():
            problems.append(f"{f.path} is missing")
            continue
        size = f.path.stat().st_size
        if size != f.size:
            problems.append(f"{f.path.name} has {size} bytes, expected {f.size}")
            continue
        digest = sha256_file(f.path, on_bytes=on_bytes)
        if digest != f.sha256:
            problems.append(f"{f.path.name} is damaged (SHA-256 {digest[:16]}…, expected {f.sha256[:16]}…)")
    if not problems:
        registry.touch_verified(name)
    else:
        logger.warning("verification of %s failed: %s", name, "; ".join(problems))
    return VerifyReport(name, not problems, tuple(problems))


def _installed_file(path: Path) -> InstalledFile:
    return InstalledFile(path, path.stat().st_size, sha256_file(path))


def _regular_file(path: Path, what: str) -> Path:
    """``path`` resolved, once it is known to lead to a regular file (resolving a link loop would raise)."""
    problem = path_problem(path)
    if problem == "missing":
        raise ModelFileMissing(path, what)
    if problem is not None:
        raise NotAModelFile(path, what, problem)
    return path.resolve()


def _new_folder(models_dir: Path, base: str) -> Path:
    """A new folder ``base`` (or ``base-2``, ``base-3``...): two names may map to one safe name."""
    n = 1
    while True:
        folder = models_dir / (base if n == 1 else f"{base}-{n}")
        try:
            folder.mkdir(parents=True)
            return folder
        except FileExistsError:
            n += 1


def _copy_into(src: Path, folder: Path) -> Path:
    dest = folder / src.name
    if dest.exists():
        raise ImportNameTaken(dest)
    tmp = dest.with_name(dest.name + ".part")
    shutil.copyfile(src, tmp)
    tmp.replace(dest)
    return dest
