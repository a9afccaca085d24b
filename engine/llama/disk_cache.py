"""The engine's cache on disk: image embeddings and saved conversation states, kept across restarts.

One folder (``DataPaths.engine_cache``, handed in by the engine's owner) with three kinds of files:
``embeddings/`` (an encoded image, keyed by its pixel digest, the projector and the image budget),
``states/`` (a conversation's KV cache, keyed by the conversation and the model, with the exact tokens
it holds) and ``threads/`` (the thread counts measured for a model on this machine: small JSON files,
see ``worker/thread_memory.py``). Each file of the first two is one self-checking record: a magic, a
JSON header saying what it is, for which key, how long its payload is and the payload's CRC-32, then
the payload. It is written under a temporary name and renamed into place, so a reader sees a whole file
or none; a file that does not check out (truncated, another format, another key, bad checksum) is
deleted with a log line and treated as absent. The folder is kept under ``max_bytes`` by dropping the
least recently used files (reading a file marks it used); ``clear`` empties all three.

Nothing here imports llama.cpp: the app measures and clears the folder with this module too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import struct
import tempfile
import zlib
from collections.abc import Collection
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MAGIC = b"VDCACHE\x01"
_HEADER_LEN = struct.Struct("<I")
_MAX_HEADER = 64 * 1024 * 1024  # the token list of a long conversation, with room to spare
_SAMPLE = 64 * 1024  # bytes read from each end of a model file for its identity
KINDS = ("embeddings", "states", "threads")


@dataclasses.dataclass(frozen=True)
class DiskCache:
    """Where the engine keeps what it remembers across restarts, and how much disk it may use (0: nothing)."""

    folder: Path
    max_bytes: int

    def path_for(self, kind: str, name: str, suffix: str) -> Path:
        """The file of one entry: ``<folder>/<kind>/<sha256(name)>.<suffix>``."""
        return self.folder / kind / f"{hashlib.sha256(name.encode()).hexdigest()[:40]}.{suffix}"

    def state_path(self, conversation: str) -> Path:
        """The file of ``conversation``'s saved KV state (one per conversation, whichever model made it)."""
        return self.path_for("states", conversation, "kv")

    def forget_state(self, conversation: str) -> bool:
        """Delete ``conversation``'s saved state (the conversation is deleted); True if there was one."""
        try:
            self.state_path(conversation).unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            log.warning("engine cache: could not delete a deleted conversation's state (%s)", exc)
            return False
        log.info("engine cache: deleted the saved state of a deleted conversation")
        return True

    def forget_images(self, digests: Collection[str]) -> int:
        """Delete the embeddings of the pictures ``digests`` (their conversations were purged); how many files.

        Their files are named by a hash of the whole key, so each embedding file's header is read for its image.
        """
        gone = set(digests)
        removed = 0
        if not gone:
            return 0
        with contextlib.suppress(OSError):
            for path in (self.folder / "embeddings").iterdir():
                key = header_key(path)
                if key is not None and key.split(":", 1)[0] in gone:
                    with contextlib.suppress(OSError):
                        path.unlink()
                        removed += 1
        if removed:
            log.info("engine cache: deleted %d embedding file(s) of purged images", removed)
        return removed

    def files(self) -> list[Path]:
        """Every cache file (temporary files of writes in progress excluded)."""
        found: list[Path] = []
        for kind in KINDS:
            with contextlib.suppress(OSError):
                found.extend(p for p in (self.folder / kind).iterdir() if not p.name.startswith("."))
        return found

    def usage(self) -> int:
        """Bytes the cache takes on disk now."""
        total = 0
        for path in self.files():
            with contextlib.suppress(OSError):
                total += path.stat().st_size
        return total

    def clear(self) -> int:
        """Delete every cache file; returns the bytes freed."""
        freed = 0
        for path in self.files():
            with contextlib.suppress(OSError):
                size = path.stat().st_size
                path.unlink()
                freed += size
        log.info("engine cache cleared (%d bytes)", freed)
        return freed

    def trim(self, keep: Path | None = None) -> None:
        """Drop the least recently used files until the cache fits ``max_bytes`` (``keep`` goes last)."""
        entries: list[tuple[float, int, Path]] = []
        for path in self.files():
            with contextlib.suppress(OSError):
                st = path.stat()
                entries.append((st.st_mtime if path != keep else float("inf"), st.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size
                log.info("engine cache: dropped %s/%s (least recently used)", path.parent.name, path.name)


def image_key(digest: str, part: int, projector: str) -> str:
    """The key of one image's embedding (``part``: its slice): its picture first, so ``forget_images`` finds it."""
    return f"{digest}:{part}:{projector}"


def _header_json(raw: bytes) -> Any:
    """A header's JSON; ``ValueError`` for one that is not, a crafted, deeply nested one included."""
    try:
        return json.loads(raw)
    except RecursionError as exc:
        raise ValueError("a header nested too deeply") from exc


def header_key(path: Path) -> str | None:
    """The key in a cache file's header, reading the header only; None for a file that has none."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(MAGIC) + _HEADER_LEN.size)
            if len(head) < len(MAGIC) + _HEADER_LEN.size or head[:len(MAGIC)] != MAGIC:
                return None
            (n,) = _HEADER_LEN.unpack_from(head, len(MAGIC))
            if n > _MAX_HEADER:
                return None
            key = _header_json(f.read(n)).get("key")
    except (OSError, ValueError, AttributeError):
        return None
    return key if isinstance(key, str) else None


@dataclasses.dataclass(frozen=True)
class Entry:
    """One record read back: its header's ``meta`` and its payload (writable, for numpy and ctypes)."""

    meta: dict[str, Any]
    payload: bytearray


def write_entry(cache: DiskCache, path: Path, kind: str, key: str, meta: dict[str, Any],
                payload: bytes | bytearray | memoryview) -> bool:
    """Write one record atomically, then trim the cache; False (logged) if it cannot be kept."""
    size = len(payload)
    if cache.max_bytes <= 0:
        return False
    header = json.dumps({"kind": kind, "key": key, "size": size, "crc32": zlib.crc32(payload),
                         "meta": meta}).encode()
    if size + len(header) > cache.max_bytes:
        log.info("engine cache: a %d-byte %s entry is larger than the whole cache; not kept", size, kind)
        return False
    return write_file(cache, path, [MAGIC, _HEADER_LEN.pack(len(header)), header, payload])


def write_file(cache: DiskCache, path: Path, parts: list[bytes | bytearray | memoryview]) -> bool:
    """Write ``parts`` to ``path`` atomically (a temporary file renamed into place), then trim the cache.

    Never raises: a cache that cannot be written costs time later, never the request at hand (False, logged).
    """
    tmp = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            for part in parts:
                f.write(part)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        log.warning("engine cache: could not write %s (%s)", path.name, exc)
        return False
    cache.trim(keep=path)
    return True


def read_entry(path: Path, kind: str, key: str) -> Entry | None:
    """The record at ``path`` if it is whole and made for ``key``; a file that is not is deleted (logged)."""
    try:
        with open(path, "rb") as f:
            data = bytearray(f.read())
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("engine cache: could not read %s (%s)", path.name, exc)
        return None
    problem, entry = _parse(data, kind, key)
    if problem:
        log.warning("engine cache: %s/%s %s; deleted", path.parent.name, path.name, problem)
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: trimmed last
    return entry


def _parse(data: bytearray, kind: str, key: str) -> tuple[str, Entry | None]:
    """("", entry) for a sound record of ``key``, else (why not, None)."""
    start = len(MAGIC) + _HEADER_LEN.size
    if len(data) < start or data[:len(MAGIC)] != MAGIC:
        return "is damaged (no cache header)", None
    (n,) = _HEADER_LEN.unpack_from(data, len(MAGIC))
    if n > _MAX_HEADER or start + n > len(data):
        return "is damaged (truncated header)", None
    try:
        header = _header_json(bytes(data[start:start + n]))
        size, crc, meta = int(header["size"]), int(header["crc32"]), header["meta"]
        found_kind, found_key = header["kind"], header["key"]
    except (ValueError, KeyError, TypeError) as exc:
        return f"is damaged (unreadable header: {exc})", None
    if found_kind != kind or not isinstance(meta, dict):
        return f"is damaged (a {found_kind!r} record where {kind!r} was expected)", None
    payload = data[start + n:]
    if len(payload) != size:
        return f"is damaged ({len(payload)} bytes of payload, {size} expected)", None
    if found_key != key:
        return "was made for another model or settings (stale)", None
    if zlib.crc32(payload) != crc:
        return "is damaged (checksum mismatch)", None
    return "", Entry(meta, payload)


def file_identity(path: Path | None) -> str:
    """A cheap, stable identity of a model file: its size, modification time and its first and last 64 KiB.

    Hashing a whole multi-gigabyte GGUF at every load would cost seconds; a file replaced by another
    changes its size or modification time, and a copy with the same times but other contents (another
    model) differs in its header (the first bytes: metadata) or in its last tensor. "" for no file.
    """
    if path is None:
        return ""
    st = Path(path).stat()
    h = hashlib.sha256(f"{st.st_size}:{st.st_mtime_ns}:".encode())
    with open(path, "rb") as f:
        h.update(f.read(_SAMPLE))
        if st.st_size > 2 * _SAMPLE:
            f.seek(st.st_size - _SAMPLE)
            h.update(f.read(_SAMPLE))
    return h.hexdigest()
