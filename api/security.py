"""The gate in front of every route: the Host header, browsers' origins, and the API key.

* Bound to loopback, the server answers only requests addressed to a loopback name, so a web page
  cannot reach it through DNS rebinding (its own name resolving to 127.0.0.1).
* A request from a web page carries ``Origin``; unless that origin was named with ``--cors-origin``
  it is refused, preflight or not (a page can POST a "simple" request without a preflight).
* With a key, every route but ``/health`` needs ``Authorization: Bearer KEY``, compared in constant
  time.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ApiError

OPEN_PATHS = frozenset({"/health"})
_ALLOWED_METHODS = "GET, POST, OPTIONS"


class SecurityMiddleware:
    """Pure ASGI middleware: refuses with an OpenAI-shaped error before any route runs."""

    def __init__(self, app: ASGIApp, *, api_key: str | None, cors_origins: Iterable[str],
                 loopback_only: bool) -> None:
        self._app = app
        self._key = api_key.encode("utf-8") if api_key else None
        self._origins = frozenset(cors_origins)
        self._loopback_only = loopback_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse, answer a preflight, or pass the request on (adding CORS headers for an allowed origin)."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        origin = headers.get("origin")
        refusal = self._refusal(scope, headers, origin)
        if refusal is not None:
            await refusal.response()(scope, receive, send)
            return
        if origin is not None and scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await _preflight(origin, headers.get("access-control-request-headers", ""))(scope, receive, send)
            return
        if origin is None:
            await self._app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = MutableHeaders(scope=message)
                extra["Access-Control-Allow-Origin"] = origin
                extra.append("Vary", "Origin")
            await send(message)

        await self._app(scope, receive, send_with_cors)

    def _refusal(self, scope: Scope, headers: Headers, origin: str | None) -> ApiError | None:
        if self._loopback_only and not _is_loopback_host(headers.get("host", "")):
            return ApiError(400, "This server answers requests addressed to 127.0.0.1 or localhost only.",
                            code="invalid_host")
        if origin is not None and origin not in self._origins:
            return ApiError(403, f"Requests from web pages at {origin[:100]} are refused. Start the server with "
                            f"--cors-origin {origin[:100]} to allow that page.", code="origin_not_allowed")
        if scope["method"] == "OPTIONS" or self._key is None or scope["path"] in OPEN_PATHS:
            return None
        scheme, _, token = headers.get("authorization", "").partition(" ")
        given = token.strip().encode("latin-1")  # header bytes as sent (Starlette decodes them as latin-1)
        if scheme.lower() != "bearer" or not hmac.compare_digest(given, self._key):
            what = "is missing" if not token else "is wrong"
            return ApiError(401, f"The API key {what}. Send it as 'Authorization: Bearer KEY' (the OpenAI "
                            "clients' api_key).", code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"})
        return None


def _preflight(origin: str, asked_headers: str) -> Response:
    """An allowed origin may send any header (OpenAI's browser clients add their own x-stainless-* ones)."""
    return Response(status_code=204, headers={
        "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": _ALLOWED_METHODS,
        "Access-Control-Allow-Headers": asked_headers or "Authorization, Content-Type",
        "Access-Control-Max-Age": "600", "Vary": "Origin"})


def _is_loopback_host(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
