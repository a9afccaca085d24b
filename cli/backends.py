"""What the commands work with, built in one place on core's paths: engine, model manager, server list.

Commands receive these factories and never construct a backend or a registry themselves, so a test or
another front end can hand them something else (a remote backend, a registry in a temporary folder).

``ask``, ``chat`` and ``serve`` give the local engine the app's disk cache (``engine_disk_cache``: the same
folder and size setting as the window), so an image encoded by one run is not encoded again by the next
one, nor by the window. ``batch`` does not: see ``batch_command``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable

from visiondesk.core.paths import DataPaths
from visiondesk.core.settings import SettingsRepository
from visiondesk.engine import Backend, ModelSpec, Tuning
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.llama.disk_cache import DiskCache
from visiondesk.engine.remote import KeyStore, RemoteBackend, RemoteTarget, ServerStore
from visiondesk.models.manager import ModelManager
from visiondesk.models.registry import ModelRegistry

# `serve` and `batch` exist to answer images: their projector opens at load, so the first request does not pay
# for opening it (0.5-1 s for CLIP-L on a CPU). The window and `ask`/`chat` open it at the first image, which
# the window's encode-on-attach does while the question is typed.
IMAGE_SERVICE = Tuning(lazy_projector=False)

log = logging.getLogger(__name__)

BackendFactory = Callable[[DiskCache | None], Backend[ModelSpec]]  # the disk cache to keep (None: nothing on disk)
RemoteFactory = Callable[[ServerStore], Backend[RemoteTarget]]


def local_engine(cache: DiskCache | None = None) -> LocalEngine:
    """The llama.cpp engine, logging its child process into the data directory's log folder, keeping ``cache``.

    A log folder that cannot be made (a read-only home) costs the engine's log file, never the command.
    """
    logs = DataPaths.default().logs
    try:
        logs.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("visiondesk: the engine's log folder %s cannot be written (%s); running without it", logs, exc)
        return LocalEngine(log_dir=None, cache=cache)
    return LocalEngine(log_dir=logs, cache=cache)


def engine_disk_cache() -> DiskCache | None:
    """The window's engine cache: ``DataPaths.engine_cache``, bounded by the ``engine_cache_mb`` setting.

    None (logged, never an error) when the setting is 0 or the folder cannot be written: the command then
    runs as it would with ``--no-cache``.
    """
    paths = DataPaths.default()
    mb = SettingsRepository(paths.settings).load().engine_cache_mb
    if mb <= 0:
        return None
    try:
        paths.engine_cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("visiondesk: the engine cache %s cannot be written (%s); images are encoded afresh",
                    paths.engine_cache, exc)
        return None
    return DiskCache(paths.engine_cache, mb * 1024**2)


def model_manager() -> ModelManager:
    """The model manager over the data directory's models folder and registry."""
    paths = DataPaths.default()
    return ModelManager(ModelRegistry(paths.model_registry, paths.models))


def server_store() -> ServerStore:
    """The servers the user added (``servers.json``), their keys in the system's credential store."""
    paths = DataPaths.default()
    return ServerStore(KeyStore(fallback_path=paths.server_keys), paths.servers)


@dataclasses.dataclass(frozen=True)
class CommandContext:
    """The factories the commands receive.

    ``backend`` answers ``ask``, ``chat``, ``serve`` and ``batch`` (keeping the disk cache it is given),
    ``disk_cache`` is the cache ``ask``, ``chat`` and ``serve`` hand it unless ``--no-cache``; ``engine`` gives
    ``doctor`` its llama.cpp report, ``models`` serves ``visiondesk models``; ``servers`` is the user's server
    list (``visiondesk servers``, and ``ask``/``chat --server``), ``remote`` the backend that talks to a server
    of a list it is given.
    """

    backend: BackendFactory = local_engine
    disk_cache: Callable[[], DiskCache | None] = engine_disk_cache
    engine: Callable[[], LocalEngine] = local_engine
    models: Callable[[], ModelManager] = model_manager
    servers: Callable[[], ServerStore] = server_store
    remote: RemoteFactory = RemoteBackend
