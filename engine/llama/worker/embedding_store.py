"""A bounded store of recent image embeddings, keyed by pixel digest (and slice index)."""

from __future__ import annotations

import collections

import numpy as np


class EmbeddingStore:
    """Least-recently-used image embeddings; switching back to a conversation skips the encoder.

    ``capacity`` counts pictures: a sliced picture (SmolVLM, MiniCPM-V, InternVL...) is several
    entries, kept and dropped together.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = max(0, capacity)
        self._items: collections.OrderedDict[tuple[str, int], np.ndarray] = collections.OrderedDict()
        self._pictures: collections.OrderedDict[str, None] = collections.OrderedDict()  # digests, least recent first

    def __contains__(self, key: tuple[str, int]) -> bool:
        return key in self._items

    def has_picture(self, digest: str) -> bool:
        """Whether the picture ``digest`` is kept (all its slices: they are kept and dropped together)."""
        return digest in self._pictures

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: tuple[str, int]) -> np.ndarray | None:
        """The embedding for ``key``, marking it recently used."""
        value = self._items.get(key)
        if value is not None:
            self._pictures.move_to_end(key[0])
        return value

    def keep(self, key: tuple[str, int], array: np.ndarray) -> np.ndarray:
        """Keep ``array`` (an embedding copied out of libmtmd: ``image_chunks.output_embeddings``); returns it."""
        if self.capacity:
            self._items[key] = array
            self._pictures[key[0]] = None
            self._pictures.move_to_end(key[0])
            while len(self._pictures) > self.capacity:
                digest, _ = self._pictures.popitem(last=False)
                for k in [k for k in self._items if k[0] == digest]:
                    del self._items[k]
        return array

    def discard(self, digest: str) -> list[tuple[str, int]]:
        """Forget the picture ``digest`` (an image encoded ahead, then removed); returns the keys forgotten."""
        self._pictures.pop(digest, None)
        keys = [k for k in self._items if k[0] == digest]
        for k in keys:
            del self._items[k]
        return keys
