"""Is this projector the right one for this model? Read both GGUF headers and say so plainly."""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from visiondesk.engine.errors import InputError, NotAProjector, ProjectorMismatch
from visiondesk.engine.gguf_header import GGUFInfo, check_pair, gguf_info_from_prefix, read_gguf_info

from .errors import FilesDoNotPair
from .hub import HubClient, RemoteFile
from .naming import is_mmproj_name, quant_from_filename

logger = logging.getLogger(__name__)
HEADER_PROBE_BYTES = 2 << 20  # most GGUF headers fit; a big vocabulary (Gemma 3: ~5 MB) takes a second read
HEADER_LIMIT_BYTES = 64 << 20  # past this, leave the check to after the download


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
    mmproj = read_gguf_info(mmproj_path, what="projector") if mmproj_path is not None else None
    return _judge(model, mmproj)


def check_remote_pair(hub: HubClient, model: RemoteFile, mmproj: RemoteFile, *,
                      probe_bytes: int = HEADER_PROBE_BYTES, limit_bytes: int = HEADER_LIMIT_BYTES,
                      wait: Callable[[float], None] = time.sleep) -> PairCheck | None:
    """Check a pair on the Hub from the files' first bytes (Range requests), before downloading them.

    Reads ``probe_bytes`` of each file, and more (doubling) while its header goes on, up to
    ``limit_bytes``; None when a header is longer than that (the check then waits for the download).
    Raises the engine's ``NotAGGUF`` or ``TruncatedGGUF`` when a file's first bytes show it is unusable.
    ``wait`` waits between retries (see ``HubClient.read_range``).
    """
    model_info = remote_gguf_info(hub, model, probe_bytes, limit_bytes, wait)
    mmproj_info = remote_gguf_info(hub, mmproj, probe_bytes, limit_bytes, wait)
    if model_info is None or mmproj_info is None:
        return None
    return _judge(model_info, mmproj_info)


def remote_gguf_info(hub: HubClient, remote: RemoteFile, probe_bytes: int = HEADER_PROBE_BYTES,
                     limit_bytes: int = HEADER_LIMIT_BYTES,
                     wait: Callable[[float], None] = time.sleep) -> GGUFInfo | None:
    """The header of a file on the Hub, read from its first bytes; None if longer than ``limit_bytes``."""
    prefix = b""
    want = probe_bytes
    while True:
        asked = want - len(prefix)
        piece = hub.read_range(remote.url, len(prefix), asked, wait)
        prefix += piece
        size = remote.size if remote.size is not None else len(prefix) if len(piece) < asked else None
        info = gguf_info_from_prefix(prefix, remote.name, size)
        if info is not None:
            return info
        if want >= limit_bytes:
            logger.info("the header of %s is longer than %d bytes; checking it after the download",
                        remote.name, limit_bytes)
            return None
        want = min(want * 2, limit_bytes)


def _judge(model: GGUFInfo, mmproj: GGUFInfo | None) -> PairCheck:
    if model.is_projector:
        raise NotAProjector(model.path, model.architecture)
    if mmproj is None:
        return PairCheck(model, None, True, f"{model.path.name} is a text-only model: it cannot see images "
                                            "until a matching mmproj file is added.")
    try:
        check_pair(model, mmproj)
    except (ProjectorMismatch, NotAProjector) as exc:
        return PairCheck(model, mmproj, False, str(exc))
    kind = mmproj.projector_type or "unknown type"
    return PairCheck(model, mmproj, True, f"{mmproj.path.name} ({kind} projector, {mmproj.projection_dim} wide) "
                                          f"fits {model.path.name} ({model.architecture}, {model.n_embd} wide).")


def require_pair(model_path: Path, mmproj_path: Path | None) -> PairCheck:
    """Like ``check_model_pair`` but raise ``FilesDoNotPair`` (an ``InputError``) when the pair does not fit."""
    result = check_model_pair(model_path, mmproj_path)
    if not result.ok:
        raise FilesDoNotPair(result.message)
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
