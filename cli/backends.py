"""What the commands work with, built in one place: the local engine and the model manager, on core's paths.

Commands receive these factories and never construct a backend or a registry themselves, so a test or
another front end can hand them something else (a remote backend, a registry in a temporary folder).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from visiondesk.core.paths import DataPaths
from visiondesk.engine import Backend, ModelSpec
from visiondesk.engine.llama import LocalEngine
from visiondesk.models.manager import ModelManager
from visiondesk.models.registry import ModelRegistry

BackendFactory = Callable[[], Backend[ModelSpec]]


def local_engine() -> LocalEngine:
    """The llama.cpp engine, logging its child process into the data directory's log folder."""
    return LocalEngine(log_dir=DataPaths.default().logs)


def model_manager() -> ModelManager:
    """The model manager over the data directory's models folder and registry."""
    paths = DataPaths.default()
    return ModelManager(ModelRegistry(paths.model_registry, paths.models))


@dataclasses.dataclass(frozen=True)
class CommandContext:
    """The factories the commands receive.

    ``backend`` answers ``ask`` and ``chat``, ``engine`` gives ``doctor`` its llama.cpp report, ``models``
    serves ``visiondesk models``.
    """

    backend: BackendFactory = local_engine
    engine: Callable[[], LocalEngine] = local_engine
    models: Callable[[], ModelManager] = model_manager
