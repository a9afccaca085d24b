"""Is this projector the right one for this model? Read both GGUF headers and say so plainly."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from visiondesk.engine.errors import InputError, NotAProjector, ProjectorMismatch
from visiondesk.engine.gguf_header import GGUFInfo, check_pair, read_gguf_info

from .naming import is_mmproj_name, quant_from_filename


@dataclasses.dataclass(frozen=True)
class PairCheck:
    """The outcome of checking a model with its (optional) projector."""

    model: GGUFInfo
    mmproj: GGUFInfo | None
    ok: bool
    message: str

    @property
    def has_vision(self) -> bool:
        """Whether the pair can see images."""
        return self.ok and self.mmproj is not None


def check_model_pair(model_path: Path, mmproj_path: Path | None) -> PairCheck:
    """Read both headers; ``ok`` is False (with a plain explanation) when the projector does not fit.

    Files that are not GGUF at all, or truncated, raise the engine's ``InputError`` subclasses.
    """
    model = read_gguf_info(model_path, what="model")
    if model.is_projector:
        raise NotAProjector(model.path, "clip (a projector was given as the model)")
    if mmproj_path is None:
        return PairCheck(model, None, True, f"{model_path.name} is a text-only model: it cannot see images "
                                            "until a matching mmproj file is added.")
    mmproj = read_gguf_info(mmproj_path, what="projector")
    try:
        check_pair(model, mmproj)
    except (ProjectorMismatch, NotAProjector) as exc:
        return PairCheck(model, mmproj, False, str(exc))
    kind = mmproj.projector_type or "unknown type"
    return PairCheck(model, mmproj, True, f"{mmproj_path.name} ({kind} projector, {mmproj.projection_dim} wide) "
                                          f"fits {model_path.name} ({model.architecture}, {model.n_embd} wide).")


def require_pair(model_path: Path, mmproj_path: Path | None) -> PairCheck:
    """Like ``check_model_pair`` but raise ``InputError`` when the pair does not fit."""
    result = check_model_pair(model_path, mmproj_path)
    if not result.ok:
        raise InputError(result.message)
    return result


def find_mmproj_beside(model_path: Path) -> Path | None:
    """The projector in the same folder that fits ``model_path``, if there is exactly one best candidate.

    Candidates are GGUF files whose header says ``clip``; ones whose names look like projectors are
    tried first, and among fitting ones the name sharing the longest prefix with the model wins.
    """
    model_path = Path(model_path)
    folder = model_path.parent
    try:
        model = read_gguf_info(model_path)
    except InputError:
        return None
    candidates = sorted((p for p in folder.glob("*.gguf") if p != model_path),
                        key=lambda p: (not is_mmproj_name(p.name), p.name))
    fitting: list[Path] = []
    for p in candidates:
        try:
            info = read_gguf_info(p, what="projector")
            if not info.is_projector:
                continue
            check_pair(model, info)
        except InputError:
            continue
        fitting.append(p)
    if not fitting:
        return None
    stem = model_path.stem.lower()
    return max(fitting, key=lambda p: (len(os.path.commonprefix([stem, _projector_stem(p)])), -len(p.name)))


def describe_quant(path: Path) -> str:
    """The quantization of a model file, from its name (``unknown`` if the name does not say)."""
    return quant_from_filename(path.name) or "unknown"


def _projector_stem(p: Path) -> str:
    return p.stem.lower().replace("mmproj-", "").replace("-mmproj", "")
