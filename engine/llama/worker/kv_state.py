"""A conversation's KV cache saved to disk and read back, through llama.cpp's sequence state API.

What is saved is sequence 0 (the active conversation) with the segments that describe it: the exact
text tokens and the images (by digest) in order. Reading it back restores both, so the next request's
prefix reuse (``prompt_cache.plan_reuse``) keeps exactly the tokens its prompt shares with the saved
ones, token for token, and evaluates the rest; a prompt that differs from the first token keeps
nothing. A state is keyed by the model (``model_key``: the files' identities and the load settings that
change what the cache holds); one made for another model, a damaged file, or a state llama.cpp refuses
is deleted with a log line and never used.
"""

from __future__ import annotations

import ctypes
import logging
from typing import Any

import llama_cpp

from ...requests import ModelSpec
from ..disk_cache import DiskCache, file_identity, read_entry, write_entry
from .model_loader import LoadedModel
from .prompt_cache import ImageSegment, Segment, TextSegment, segment_positions

log = logging.getLogger(__name__)

KIND = "states"


def model_key(spec: ModelSpec, gpu_layers: int, llama_version: str) -> str:
    """What a KV cache's contents depend on: both files, the image budget, the context and where layers ran."""
    return (f"model={file_identity(spec.model)};mmproj={file_identity(spec.mmproj)};"
            f"img={spec.image_min_tokens},{spec.image_max_tokens};ctx={spec.n_ctx};swa_full={int(spec.full_swa_cache)};"
            f"gpu_layers={gpu_layers};ftz={int(spec.tuning.flush_denormals)};llama.cpp={llama_version}")


def _encode(cache: list[Segment]) -> list[list[Any]]:
    return [["t", list(s.tokens)] if isinstance(s, TextSegment) else ["i", s.digest, s.n_pos, s.n_tokens]
            for s in cache]


def _decode(raw: object) -> list[Segment] | None:
    """The segments of a header, or None if they are not what ``_encode`` writes."""
    if not isinstance(raw, list):
        return None
    out: list[Segment] = []
    for item in raw:
        match item:
            case ["t", list() as tokens] if all(isinstance(t, int) for t in tokens):
                out.append(TextSegment(list(tokens)))
            case ["i", str() as digest, int() as n_pos, int() as n_tokens]:
                out.append(ImageSegment(digest, n_pos, n_tokens))
            case _:
                return None
    return out


def _positions_held(m: LoadedModel) -> int:
    """Positions 0..n-1 of sequence 0 the KV cache holds (0 when empty)."""
    return int(llama_cpp.llama_memory_seq_pos_max(m.memory, 0)) + 1


def save_state(m: LoadedModel, cache: list[Segment], disk: DiskCache, conversation: str, key: str) -> tuple[int, int]:
    """Write sequence 0 and its segments as ``conversation``'s state; (positions, bytes) written, (0, 0) if none."""
    positions = sum(segment_positions(s) for s in cache)
    if positions == 0:
        return 0, 0
    if _positions_held(m) != positions:
        log.warning("not saving the conversation state: the KV cache holds %d positions, its description %d",
                    _positions_held(m), positions)
        return 0, 0
    size = int(llama_cpp.llama_state_seq_get_size(m.ctx, 0))
    if size > disk.max_bytes:  # known before copying it out of the context: no copy of a state that cannot be kept
        log.info("not saving the conversation state: %d bytes, more than the disk cache's %d", size, disk.max_bytes)
        return 0, 0
    buf = (ctypes.c_uint8 * size)()
    written = int(llama_cpp.llama_state_seq_get_data(m.ctx, buf, size, 0))
    if written <= 0:
        log.warning("llama.cpp could not copy the conversation state (%d of %d bytes)", written, size)
        return 0, 0
    meta = {"segments": _encode(cache), "positions": positions}
    if not write_entry(disk, disk.state_path(conversation), KIND, f"{conversation}\n{key}", meta,
                       memoryview(buf)[:written]):
        return 0, 0
    return positions, written


def restore_state(m: LoadedModel, disk: DiskCache, conversation: str, key: str) -> list[Segment] | None:
    """Load ``conversation``'s saved state into sequence 0; its segments, or None (the cache is then empty)."""
    path = disk.state_path(conversation)
    entry = read_entry(path, KIND, f"{conversation}\n{key}")
    if entry is None:  # damaged or stale (deleted, logged): the caller's segments become none, so the KV cache too
        llama_cpp.llama_memory_clear(m.memory, True)
        return None
    segments = _decode(entry.meta.get("segments"))
    positions = sum(segment_positions(s) for s in segments) if segments else 0
    problem = ""
    if segments is None or positions != entry.meta.get("positions"):
        problem = "its description of the tokens is damaged"
    elif positions + sum(s.n_tokens - s.n_pos for s in segments if isinstance(s, ImageSegment)) >= m.n_ctx:
        problem = "it does not fit the context"
    llama_cpp.llama_memory_clear(m.memory, True)
    if not problem:
        size = len(entry.payload)
        buf = (ctypes.c_uint8 * size).from_buffer(entry.payload)
        read = int(llama_cpp.llama_state_seq_set_data(m.ctx, buf, size, 0))
        if read != size:
            problem = f"llama.cpp refused it ({read} of {size} bytes read)"
        elif _positions_held(m) != positions:
            problem = f"it restored {_positions_held(m)} positions, not {positions}"
    if problem:
        llama_cpp.llama_memory_clear(m.memory, True)
        log.warning("engine cache: the saved state of a conversation (%s) is unusable: %s; deleted", path.name,
                    problem)
        path.unlink(missing_ok=True)
        return None
    assert segments is not None
    log.info("restored a conversation state: %d positions from %d bytes", positions, len(entry.payload))
    return segments
