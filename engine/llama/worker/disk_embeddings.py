"""The embedding store, backed by the engine's disk cache: an image encoded once is not encoded again after a restart.

Keyed by the image's pixel digest and slice, plus ``projector_key``: the projector file's identity, the
image token budget and where the projector runs, everything the encoder's output depends on. Memory is
looked at first, then the disk; a new embedding is written to disk by ``flush`` after the answer, so
writing never delays a first token.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ...requests import ModelSpec
from ..disk_cache import DiskCache, file_identity, image_key, read_entry, write_entry
from .embedding_store import EmbeddingStore

log = logging.getLogger(__name__)

KIND = "embeddings"


def projector_key(spec: ModelSpec, on_gpu: bool, llama_version: str) -> str:
    """What an image's embedding depends on besides its pixels: the projector, its token budget, its device.

    Also the denormal flushing of the engine process (``Tuning.flush_denormals``): it can change the last bits.
    """
    return (f"mmproj={file_identity(spec.mmproj)};min={spec.image_min_tokens};max={spec.image_max_tokens};"
            f"gpu={int(on_gpu)};ftz={int(spec.tuning.flush_denormals)};llama.cpp={llama_version}")


class DiskEmbeddings(EmbeddingStore):
    """An ``EmbeddingStore`` whose entries also live in ``disk`` (least recently used first out, there too)."""

    def __init__(self, capacity: int, disk: DiskCache, projector: str) -> None:
        super().__init__(capacity)
        self.disk = disk
        self.projector = projector
        self._unsaved: list[tuple[tuple[str, int], np.ndarray]] = []
        self.loaded_from_disk = 0  # entries read back from disk (tests and logs)

    def _key(self, key: tuple[str, int]) -> str:
        return image_key(key[0], key[1], self.projector)

    def _path(self, key: tuple[str, int]) -> Any:
        return self.disk.path_for(KIND, self._key(key), "emb")

    def __contains__(self, key: tuple[str, int]) -> bool:
        return super().__contains__(key) or self._path(key).is_file()

    def get(self, key: tuple[str, int]) -> np.ndarray | None:
        """From memory, else from disk (kept in memory from then on)."""
        found = super().get(key)
        if found is not None:
            return found
        entry = read_entry(self._path(key), KIND, self._key(key))
        if entry is None:
            return None
        floats = np.frombuffer(entry.payload, dtype=np.float32)
        if entry.meta.get("n_floats") != floats.size:
            log.warning("engine cache: an embedding of %s has %d floats, %s expected; deleted", key[0][:12],
                        floats.size, entry.meta.get("n_floats"))
            self._path(key).unlink(missing_ok=True)
            return None
        self.loaded_from_disk += 1
        return super().keep(key, floats.copy())  # in memory only: it is on disk already

    def keep(self, key: tuple[str, int], array: np.ndarray) -> np.ndarray:
        """Keep a new embedding in memory now, on disk at the next ``flush``."""
        array = super().keep(key, array)
        self._unsaved.append((key, array))
        return array

    def discard(self, digest: str) -> list[tuple[str, int]]:
        """Forget the picture ``digest`` in memory and on disk (an image encoded ahead, then removed unsent)."""
        keys = super().discard(digest)
        self._unsaved = [(k, a) for k, a in self._unsaved if k[0] != digest]
        for key in keys:
            self._path(key).unlink(missing_ok=True)
        return keys

    def flush(self) -> None:
        """Write the embeddings made since the last flush."""
        unsaved, self._unsaved = self._unsaved, []
        for key, array in unsaved:
            write_entry(self.disk, self._path(key), KIND, self._key(key), {"n_floats": int(array.size)},
                        array.tobytes())
