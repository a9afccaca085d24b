"""What the engine process keeps on disk for a loaded model: its image embeddings and conversation states.

``child.serve`` asks this after each request that changes the runtime: a load (the embedding store
becomes one backed by the disk), a chat (new embeddings are written after the answer is sent) and the
``SaveState``/``RestoreState`` requests. Without a ``DiskCache`` (the command line's default) nothing
is written and states are never found.
"""

from __future__ import annotations

import logging

import llama_cpp

from ..disk_cache import DiskCache
from .disk_embeddings import DiskEmbeddings, projector_key
from .kv_state import model_key, restore_state, save_state
from .prompt_cache import segment_positions
from .protocol import StateKept
from .runtime import Runtime

log = logging.getLogger(__name__)


class Persistence:
    """The disk side of one engine process."""

    def __init__(self) -> None:
        self.disk: DiskCache | None = None
        self._model_key = ""
        self._saved: tuple[str, int] | None = None  # (conversation, positions) whose state on disk is the KV now

    def loaded(self, runtime: Runtime, disk: DiskCache | None) -> None:
        """A model was loaded into ``runtime``: key its states, and back its embedding store with the disk."""
        self.disk, self._saved = disk, None
        m = runtime.model
        if disk is None or m is None or m.result is None:
            return
        version = str(llama_cpp.__version__)
        self._model_key = model_key(m.spec, m.gpu_layers, version)
        if m.spec.mmproj:  # the projector may open later, at the first image (lazily)
            on_gpu = bool(m.result.projector_device)
            runtime.embeddings = DiskEmbeddings(m.spec.embedding_cache_images, disk,
                                                projector_key(m.spec, on_gpu, version))

    def changed(self, runtime: Runtime) -> None:
        """A request ran: the KV cache is no longer what was saved; new embeddings go to disk now."""
        self.cache_changed()
        self.flush(runtime)

    def cache_changed(self) -> None:
        """The KV cache changed without an answer (a conversation read ahead): it is no longer what was saved.

        Images encoded ahead stay in memory only until an answer uses them: one removed unsent leaves nothing.
        """
        self._saved = None

    @staticmethod
    def flush(runtime: Runtime) -> None:
        """Write the embeddings encoded since the last flush (after any request that encodes images)."""
        if isinstance(runtime.embeddings, DiskEmbeddings):
            runtime.embeddings.flush()

    def _on_disk_as(self, runtime: Runtime) -> str | None:
        """The conversation whose saved state the KV cache is, unchanged since (None: none, or changed since)."""
        if self._saved is None or self.disk is None:
            return None
        name, positions = self._saved
        if positions != sum(segment_positions(s) for s in runtime.cache) or not self.disk.state_path(name).is_file():
            return None
        return name

    def save(self, runtime: Runtime, conversation: str) -> StateKept:
        """Save the active conversation as ``conversation``'s state (nothing is written if it is already there)."""
        m = runtime.model
        if self.disk is None or m is None:
            return StateKept(0, 0)
        if (name := self._on_disk_as(runtime)) is not None:
            # Nothing ran since this cache was saved or restored: it is ``name``'s, already on disk. Another
            # conversation opened meanwhile without a state of its own does not get a copy of it.
            return StateKept(self._saved[1] if name == conversation and self._saved else 0, 0)
        positions, nbytes = save_state(m, runtime.cache, self.disk, conversation, self._model_key)
        if positions:
            self._saved = (conversation, positions)
            log.info("saved a conversation state: %d positions, %d bytes", positions, nbytes)
        return StateKept(positions, nbytes)

    def restore(self, runtime: Runtime, conversation: str) -> StateKept:
        """Make ``conversation``'s saved state the active conversation; the KV cache is left as it was if none."""
        m = runtime.model
        if self.disk is None or m is None:
            return StateKept(0, 0)
        if self._on_disk_as(runtime) == conversation and self._saved:
            return StateKept(self._saved[1], 0)  # it is the active one already
        if not self.disk.state_path(conversation).is_file():
            return StateKept(0, 0)
        segments = restore_state(m, self.disk, conversation, self._model_key)
        runtime.cache = segments or []  # a refused state has emptied the KV cache
        if not segments:
            self._saved = None
            return StateKept(0, 0)
        positions = sum(segment_positions(s) for s in segments)
        self._saved = (conversation, positions)
        return StateKept(positions, 0)
