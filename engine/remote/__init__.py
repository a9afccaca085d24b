"""Remote backends: OpenAI-compatible servers (vLLM, Ollama, llama.cpp's llama-server, LM Studio, others).

``RemoteBackend`` implements ``visiondesk.engine.Backend`` for a ``RemoteTarget`` (a model on a server).
Only servers in the ``ServerStore`` are ever contacted; their API keys live in the ``KeyStore`` (the
system's credential store, or an announced private fallback file). ``is_loopback_host``/``remote_host``
hold the one rule for local versus remote; ``test_server`` is what a Servers page shows.
"""

from typing import TYPE_CHECKING

from ..lazy_names import lazy_getattr
from .errors import (
    CredentialStoreError,
    ImageTooLarge,
    KeyRejected,
    MalformedChunk,
    ModelNotFound,
    OneImagePerPrompt,
    RateLimited,
    RemoteError,
    RequestRejected,
    ServerFailed,
    ServerNotAdded,
    ServerTimeout,
    ServerUnreachable,
    StreamCutOff,
    TlsVerifyFailed,
    TooManyImages,
    VisionNotSupported,
)
from .keys import KeyStore
from .privacy import is_loopback_host, remote_host
from .servers import ServerEntry, ServerStore
from .target import KeyRef, RemoteTarget, Timeouts, normalize_base_url
from .upload_images import UploadImage, encode_image

if TYPE_CHECKING:
    from .backend import RemoteBackend
    from .connection import Connection
    from .probe import RemoteModel, ServerKind, ServerReport, test_server

# These need the ``openai`` package, whose import takes about a second: they are imported on first use, so a
# program that only lists servers (the desktop window at start-up) does not wait for it.
_LAZY = {"RemoteBackend": "backend", "Connection": "connection", "RemoteModel": "probe", "ServerKind": "probe",
         "ServerReport": "probe", "test_server": "probe"}

__getattr__ = lazy_getattr(__name__, _LAZY)

__all__ = [
    "Connection", "CredentialStoreError", "ImageTooLarge", "KeyRef", "KeyRejected", "KeyStore", "MalformedChunk",
    "ModelNotFound", "OneImagePerPrompt", "RateLimited", "RemoteBackend", "RemoteError", "RemoteModel",
    "RemoteTarget", "RequestRejected", "ServerEntry", "ServerFailed", "ServerKind", "ServerNotAdded",
    "ServerReport", "ServerStore", "ServerTimeout", "ServerUnreachable", "StreamCutOff", "Timeouts",
    "TlsVerifyFailed", "TooManyImages", "UploadImage", "VisionNotSupported", "encode_image", "is_loopback_host",
    "normalize_base_url", "remote_host", "test_server",
]
