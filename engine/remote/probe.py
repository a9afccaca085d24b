"""What a server is and which of its models see images, as users meet them.

Every server lists its models at ``/v1/models``; vision is then asked where the server can tell:

- llama.cpp's ``llama-server`` (models ``owned_by: llamacpp``): ``/props`` ``modalities.vision``.
- Ollama (``/api/version`` answers): ``/api/show`` ``capabilities`` contains ``vision``.
- LM Studio (``/api/v0/models`` answers): ``type: vlm``.
- VisionDesk's own ``visiondesk serve`` (``owned_by: visiondesk``): ``vision`` and ``context_length`` in the list.
- vLLM (``owned_by: vllm``): it does not say; Llama 3.2 Vision (``mllama``) sees images and takes one
  image per prompt (vLLM's default for it), which the backend says before sending.
- Any other OpenAI-compatible server: vision is unknown (None) until an image is tried.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import re
from typing import Any

import openai

from ..errors import VisionDeskError
from .connection import Connection, map_error
from .keys import KeyStore
from .privacy import remote_host
from .servers import ServerEntry

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 10.0


class ServerKind(enum.StrEnum):
    """The server programs VisionDesk knows by name."""

    VLLM = "vLLM"
    OLLAMA = "Ollama"
    LLAMA_SERVER = "llama-server"
    LM_STUDIO = "LM Studio"
    VISIONDESK = "VisionDesk"
    OTHER = "OpenAI-compatible"


@dataclasses.dataclass(frozen=True)
class RemoteModel:
    """One model a server offers."""

    id: str
    vision: bool | None  # None: the server does not say; known after the first image
    n_ctx: int = 0  # 0: unknown
    one_image_per_prompt: bool = False  # vLLM's mllama (Llama 3.2 Vision)


@dataclasses.dataclass(frozen=True)
class ServerReport:
    """What the Servers page shows after "Test": reachable, which server, which models, which see images."""

    url: str
    reachable: bool
    kind: ServerKind | None = None
    models: tuple[RemoteModel, ...] = ()
    remote_host: str | None = None  # None: on this computer (loopback)
    error: VisionDeskError | None = None

    def model(self, model_id: str) -> RemoteModel | None:
        """The model called ``model_id``, or None."""
        return next((m for m in self.models if m.id == model_id), None)


_MLLAMA = re.compile(r"mllama|llama-?3\.2-?\d+b-?vision|llama3\.2-vision", re.IGNORECASE)


def list_models(conn: Connection) -> list[dict[str, Any]]:
    """The raw entries of ``/v1/models``; raises the openai client's errors."""
    page = conn.get_json("models", timeout=PROBE_TIMEOUT_S)
    data = page.get("data") if isinstance(page, dict) else None
    if not isinstance(data, list):
        # Ollama's native shape, or an odd proxy: take what has a name.
        data = page.get("models", []) if isinstance(page, dict) else []
    return [d for d in data if isinstance(d, dict) and (d.get("id") or d.get("name"))]


def describe_server(conn: Connection) -> tuple[ServerKind, list[RemoteModel]]:
    """The server's kind and its models with what is known of their vision; raises openai errors."""
    raw = list_models(conn)
    owners = {str(d.get("owned_by", "")).lower() for d in raw}
    root = conn.target.root_url
    if "llamacpp" in owners:
        return ServerKind.LLAMA_SERVER, _llama_server_models(conn, raw)
    if "visiondesk" in owners:
        return ServerKind.VISIONDESK, [_visiondesk_model(d) for d in raw]
    if "vllm" in owners:
        return ServerKind.VLLM, [_vllm_model(d) for d in raw]
    if _answers(conn, f"{root}/api/version"):
        return ServerKind.OLLAMA, [_ollama_model(conn, _model_id(d)) for d in raw]
    lm = _answers(conn, f"{root}/api/v0/models")
    if isinstance(lm, dict) and isinstance(lm.get("data"), list):
        by_id = {str(m.get("id")): m for m in lm["data"] if isinstance(m, dict)}
        return ServerKind.LM_STUDIO, [_lm_studio_model(_model_id(d), by_id.get(_model_id(d))) for d in raw]
    return ServerKind.OTHER, [RemoteModel(_model_id(d), None, _int(d.get("max_model_len"))) for d in raw]


def test_server(entry: ServerEntry, keys: KeyStore | None = None, api_key: str | None = None) -> ServerReport:
    """The Servers page's "Test": reachable, which server, its models and which see images.

    The key is ``api_key`` when given (a key typed but not saved yet), else the one kept for ``entry``.
    Failures become the report's ``error`` (typed, with the fix); nothing is raised for them.
    """
    key = api_key or (keys.get(entry.id) if keys is not None and entry.has_key else None)
    try:
        conn = Connection(entry.target(""), key)
    except VisionDeskError as exc:
        return ServerReport(entry.base_url, False, error=exc, remote_host=remote_host(entry.base_url))
    try:
        return report(conn)
    finally:
        conn.close()


def report(conn: Connection) -> ServerReport:
    """``test_server`` on an open connection."""
    url = conn.target.api_url
    try:
        kind, models = describe_server(conn)
    except openai.APIError as exc:
        err = map_error(exc, conn.target, conn.has_key, 0)
        reachable = isinstance(exc, openai.APIStatusError)
        return ServerReport(url, reachable, error=err, remote_host=remote_host(url))
    return ServerReport(url, True, kind, tuple(models), remote_host(url))


def _model_id(d: dict[str, Any]) -> str:
    return str(d.get("id") or d.get("name"))


def _int(value: Any) -> int:
    return value if isinstance(value, int) and value > 0 else 0


def _answers(conn: Connection, url: str) -> Any:
    """The JSON at ``url``, or None where the server does not have that endpoint."""
    try:
        return conn.get_json(url, timeout=PROBE_TIMEOUT_S) or None
    except openai.APIStatusError:
        return None


def _llama_server_models(conn: Connection, raw: list[dict[str, Any]]) -> list[RemoteModel]:
    props = _answers(conn, f"{conn.target.root_url}/props")
    vision: bool | None = None
    n_ctx = 0
    if isinstance(props, dict):
        modalities = props.get("modalities")
        if isinstance(modalities, dict) and "vision" in modalities:
            vision = bool(modalities["vision"])
        settings = props.get("default_generation_settings")
        if isinstance(settings, dict):
            n_ctx = _int(settings.get("n_ctx"))
    models = []
    for d in raw:
        meta = d.get("meta")
        meta = meta if isinstance(meta, dict) else {}
        models.append(RemoteModel(_model_id(d), vision, n_ctx or _int(meta.get("n_ctx"))))
    return models


def _visiondesk_model(d: dict[str, Any]) -> RemoteModel:
    vision = d.get("vision")
    return RemoteModel(_model_id(d), vision if isinstance(vision, bool) else None, _int(d.get("context_length")))


def _vllm_model(d: dict[str, Any]) -> RemoteModel:
    names = f"{d.get('id', '')} {d.get('root', '')}"
    mllama = bool(_MLLAMA.search(names))
    return RemoteModel(_model_id(d), True if mllama else None, _int(d.get("max_model_len")), mllama)


def _ollama_model(conn: Connection, model_id: str) -> RemoteModel:
    try:
        show = conn.post_json(f"{conn.target.root_url}/api/show", {"model": model_id}, timeout=PROBE_TIMEOUT_S)
    except openai.APIStatusError as exc:
        log.info("Ollama /api/show %s failed (%s): vision unknown", model_id, exc.status_code)
        return RemoteModel(model_id, None)
    caps = show.get("capabilities") if isinstance(show, dict) else None
    vision = ("vision" in caps) if isinstance(caps, list) else None
    info = show.get("model_info") if isinstance(show, dict) else None
    n_ctx = 0
    if isinstance(info, dict):
        n_ctx = next((_int(v) for k, v in info.items() if k.endswith(".context_length")), 0)
    return RemoteModel(model_id, vision, n_ctx)


def _lm_studio_model(model_id: str, entry: dict[str, Any] | None) -> RemoteModel:
    if entry is None:
        return RemoteModel(model_id, None)
    kind = str(entry.get("type", ""))
    return RemoteModel(model_id, kind == "vlm" if kind else None, _int(entry.get("max_context_length")))
