"""VisionDesk's local OpenAI-compatible API (``visiondesk serve``): Qt-free, on any ``Backend``.

``create_app(backend, ServerConfig(...))`` is a Starlette application; uvicorn serves it.
"""

from typing import TYPE_CHECKING

from ..engine.lazy_names import lazy_getattr
from .config import DEFAULT_HOST, DEFAULT_PORT, Limits, ServerConfig, is_loopback
from .request_log import RequestLog, RequestRecord

if TYPE_CHECKING:
    from .app import create_app
    from .background_server import BackgroundServer
    from .server_state import ServerState

# These need Starlette, sse-starlette and uvicorn (about 0.2 s to import): they are imported on first use, so
# the desktop window, which keeps a request log and a port but serves only when asked, starts without them.
_LAZY = {"create_app": "app", "BackgroundServer": "background_server", "ServerState": "server_state"}

__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "BackgroundServer", "Limits", "RequestLog", "RequestRecord",
           "ServerConfig", "ServerState", "create_app", "is_loopback"]
