"""VisionDesk's local OpenAI-compatible API (``visiondesk serve``): Qt-free, on any ``Backend``.

``create_app(backend, ServerConfig(...))`` is a Starlette application; uvicorn serves it.
"""

from .app import create_app
from .background_server import BackgroundServer
from .config import DEFAULT_HOST, DEFAULT_PORT, Limits, ServerConfig, is_loopback
from .request_log import RequestLog, RequestRecord
from .server_state import ServerState

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "BackgroundServer", "Limits", "RequestLog", "RequestRecord",
           "ServerConfig", "ServerState", "create_app", "is_loopback"]
