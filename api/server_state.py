"""What the API's routes share: the backend, the configuration, the engine queue, the request log."""

from __future__ import annotations

import dataclasses
from typing import Any

from visiondesk.engine import Backend

from .config import ServerConfig
from .engine_queue import EngineQueue
from .request_log import RequestLog


@dataclasses.dataclass(frozen=True)
class ServerState:
    """What the routes share."""

    backend: Backend[Any]
    config: ServerConfig
    queue: EngineQueue
    log: RequestLog
    created: int  # when the server started (time.time()), the models' "created"
