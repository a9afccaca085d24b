"""The Starlette application: routes, the security gate, OpenAI-shaped errors, and the engine queue."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from visiondesk.engine import Backend

from . import openai_shapes as shapes
from .chat_endpoint import chat_completions
from .config import ServerConfig, is_loopback
from .engine_queue import EngineQueue
from .errors import SERVER_ERROR, ApiError
from .request_log import RequestLog
from .security import SecurityMiddleware
from .server_state import ServerState

log = logging.getLogger(__name__)


def create_app(backend: Backend[Any], config: ServerConfig, request_log: RequestLog | None = None) -> Starlette:
    """The API over ``backend``, which has a model loaded (or will have, for ``/health`` to say so)."""
    config.check()
    state = ServerState(backend, config, EngineQueue(backend, config.limits.max_queue), request_log or RequestLog(),
                        int(time.time()))

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(state.queue.close)

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/models", list_models, methods=["GET"]),
            Route("/v1/models/{model_id:path}", get_model, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
        ],
        middleware=[Middleware(SecurityMiddleware, api_key=config.api_key, cors_origins=config.cors_origins,
                               loopback_only=is_loopback(config.host))],
        exception_handlers={ApiError: _api_error, HTTPException: _http_error, Exception: _unexpected},
        lifespan=lifespan,
    )
    app.state.visiondesk = state
    return app


async def list_models(request: Request) -> Response:
    """``GET /v1/models``: the loaded model, with whether it sees images."""
    state: ServerState = request.app.state.visiondesk
    info = state.backend.info
    data = [shapes.model_entry(info, state.created)] if info is not None else []
    return JSONResponse({"object": "list", "data": data})


async def get_model(request: Request) -> Response:
    """``GET /v1/models/{id}``."""
    state: ServerState = request.app.state.visiondesk
    info = state.backend.info
    model_id = request.path_params["model_id"]
    if info is None or model_id != info.model_name:
        raise ApiError(404, f"The model '{model_id[:100]}' is not loaded here; GET /v1/models lists the one that is.",
                       code="model_not_found", param="model")
    return JSONResponse(shapes.model_entry(info, state.created))


async def health(request: Request) -> Response:
    """``GET /health``: 200 once a model is loaded, with the queue's length."""
    state: ServerState = request.app.state.visiondesk
    info = state.backend.info
    if info is None:
        return JSONResponse({"status": "no_model"}, status_code=503)
    return JSONResponse({"status": "ok", "model": info.model_name, "vision": bool(info.vision),
                         "in_flight": state.queue.in_flight})


async def _api_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        message = (f"There is no {request.url.path[:100]} here; the API serves POST /v1/chat/completions, "
                   "GET /v1/models and GET /health.")
        return ApiError(404, message, code="not_found").response()
    if exc.status_code == 405:
        return ApiError(405, f"{request.method} is not allowed on {request.url.path[:100]}.",
                        code="method_not_allowed", headers=exc.headers).response()
    return ApiError(exc.status_code, str(exc.detail), code="http_error", headers=exc.headers).response()


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("unexpected failure on %s %s", request.method, request.url.path, exc_info=exc)
    return ApiError(500, "The server failed unexpectedly; its log has the details.", code="internal_error",
                    type_=SERVER_ERROR).response()
