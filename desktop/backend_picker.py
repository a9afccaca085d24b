"""The engine worker's backend factory: the local engine for a ``ModelSpec``, the remote one for a ``RemoteTarget``.

Each is made once, on first use, and kept (a closed backend loads again).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from visiondesk.engine import Backend, ModelSpec
from visiondesk.engine.remote import RemoteTarget


class BackendPicker:
    """``picker(target)``: the backend that loads ``target`` (None: the local engine, e.g. before any load)."""

    def __init__(self, make_local: Callable[[], Backend[ModelSpec]],
                 make_remote: Callable[[], Backend[RemoteTarget]]) -> None:
        self._make_local, self._make_remote = make_local, make_remote
        self._local: Backend[ModelSpec] | None = None
        self._remote: Backend[RemoteTarget] | None = None

    def __call__(self, target: object) -> Backend[Any]:
        """The backend for ``target``."""
        if isinstance(target, RemoteTarget):
            if self._remote is None:
                self._remote = self._make_remote()
            return self._remote
        if self._local is None:
            self._local = self._make_local()
        return self._local
