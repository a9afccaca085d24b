"""What the commands work with, built in one place on core's paths: engine, model manager, server list.

Commands receive these factories and never construct a backend or a registry themselves, so a test or
another front end can hand them something else (a remote backend, a registry in a temporary folder).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from visiondesk.core.paths import DataPaths
from visiondesk.engine import Backend, ModelSpec
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.remote import KeyStore, RemoteBackend, RemoteTarget, ServerStore
from visiondesk.models.manager import ModelManager
from visiondesk.models.registry import ModelRegistry

BackendFactory = Callable[[], Backend[ModelSpec]]
RemoteFactory = Callable[[ServerStore], Backend[RemoteTarget]]


def local_engine() -> LocalEngine:
    """The llama.cpp engine, logging its child process into the data directory's log folder."""
    return LocalEngine(log_dir=DataPaths.default().logs)


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

    ``backend`` answers ``ask`` and ``chat``, ``engine`` gives ``doctor`` its llama.cpp report, ``models``
    serves ``visiondesk models``; ``servers`` is the user's server list (``visiondesk servers``, and
    ``ask``/``chat --server``), ``remote`` the backend that talks to a server of a list it is given.
    """

    backend: BackendFactory = local_engine
    engine: Callable[[], LocalEngine] = local_engine
    models: Callable[[], ModelManager] = model_manager
    servers: Callable[[], ServerStore] = server_store
    remote: RemoteFactory = RemoteBackend
