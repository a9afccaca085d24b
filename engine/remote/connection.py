"""One configured ``openai`` client for one server, and the translation of its failures into typed errors.

TLS verification is always on (a CA bundle is added to the system's authorities, never replaces the
check); proxies come from the environment (``HTTPS_PROXY``, ``NO_PROXY``...), as httpx reads them. The
client never retries by itself: the backend retries, and only before the first token.

Cancel must end a request within 250 ms even while the client is blocked reading a socket (a server
reading a long prompt has not even sent its headers yet). httpcore's ``trace`` hook hands over every
connection this client opens; ``abort()`` shuts those sockets down, which wakes the blocked read at
once and shows the server a closed connection, so it stops generating.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import socket
import ssl
import threading
import time
from typing import Any

import openai

from ..errors import VisionDeskError
from .errors import (
    ImageTooLarge,
    KeyRejected,
    MalformedChunk,
    RateLimited,
    RequestRejected,
    ServerFailed,
    ServerTimeout,
    ServerUnreachable,
    TlsVerifyFailed,
    TooManyImages,
    VisionNotSupported,
)
from .target import RemoteTarget

log = logging.getLogger(__name__)

# Headers the openai package may fill from OPENAI_* environment variables: they belong to OpenAI's service,
# not to the user's own servers.
_DROPPED_HEADERS = ("OpenAI-Organization", "OpenAI-Project")


class Connection:
    """An ``openai.OpenAI`` client for one target, whose open sockets can be cut from another thread."""

    def __init__(self, target: RemoteTarget, api_key: str | None) -> None:
        self.target = target
        self.has_key = bool(api_key)
        self._lock = threading.Lock()
        self._streams: list[Any] = []  # httpcore network streams this client opened
        self._cut = threading.Event()  # set by abort() until the next begin(): no request may go out
        t = target.timeouts
        verify: ssl.SSLContext | bool = True
        if target.ca_bundle is not None:
            verify = ssl.create_default_context()
            try:
                verify.load_verify_locations(cafile=str(target.ca_bundle))
            except (OSError, ssl.SSLError) as exc:
                detail = f"the CA bundle {target.ca_bundle} cannot be read: {exc}"
                raise TlsVerifyFailed(target.api_url, detail) from exc
        # The read timeout is only a backstop: the backend enforces first-byte and between-chunk waits itself.
        timeout = openai.Timeout(connect=t.connect_s, read=max(t.first_byte_s, t.between_chunks_s) + 5.0,
                                 write=max(30.0, t.connect_s), pool=t.connect_s)
        self.http = openai.DefaultHttpxClient(verify=verify, timeout=timeout, trust_env=True,
                                              event_hooks={"request": [self._on_request]})
        # A placeholder key when there is none: the request hook then removes the Authorization header.
        self.client = openai.OpenAI(api_key=api_key or "none", base_url=target.api_url, max_retries=0,
                                    timeout=timeout, http_client=self.http)

    def begin(self) -> None:
        """Allow requests again after an ``abort()``; call it before starting a request, on the caller's thread."""
        self._cut.clear()

    def _on_request(self, request: Any) -> None:
        if self._cut.is_set():
            raise ConnectionAbortedError("the request was cancelled before it was sent")
        request.extensions["trace"] = self._trace
        for name in _DROPPED_HEADERS:
            request.headers.pop(name, None)
        if not self.has_key:
            request.headers.pop("Authorization", None)

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        if event.endswith(("connect_tcp.complete", "start_tls.complete")) and info.get("return_value") is not None:
            with self._lock:
                self._streams = [s for s in self._streams if _socket_of(s) is not None] + [info["return_value"]]
            if self._cut.is_set():  # aborted while this connection was being opened
                self.abort()

    def abort(self) -> None:
        """Cut every connection of this client now (any thread): blocked reads fail at once.

        No request goes out until ``begin()``.
        """
        self._cut.set()
        with self._lock:
            streams, self._streams = self._streams, []
        for stream in streams:
            sock = _socket_of(stream)
            if sock is None:
                continue
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed

    def get_json(self, url: str, timeout: float | None = None) -> Any:
        """GET ``url`` (absolute, or relative to the API root) through the openai client; raises openai errors."""
        self.begin()
        return self.client.get(url, cast_to=object, options={"timeout": timeout} if timeout else {})

    def post_json(self, url: str, body: dict[str, Any], timeout: float | None = None) -> Any:
        """POST JSON to ``url`` through the openai client; raises openai errors."""
        self.begin()
        return self.client.post(url, cast_to=object, body=body, options={"timeout": timeout} if timeout else {})

    def close(self) -> None:
        """Close the client and its connections."""
        self.abort()
        self.client.close()


def _socket_of(stream: Any) -> socket.socket | None:
    try:
        sock = stream.get_extra_info("socket")
    except Exception:  # noqa: BLE001 - a closed stream may fail in many ways
        return None
    return sock if isinstance(sock, socket.socket) and sock.fileno() != -1 else None


def error_detail(exc: openai.APIError) -> str:
    """The server's own words: ``error.message`` (OpenAI, vLLM, Ollama /v1), ``error`` (Ollama native) or text."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            body = inner.get("message") or inner.get("detail") or json.dumps(inner)[:300]
        else:
            body = inner
    if isinstance(body, str) and body.strip():
        return body.strip()[:500]
    if isinstance(exc, openai.APIStatusError):
        try:
            text = exc.response.text.strip()
        except Exception:  # noqa: BLE001 - a streamed body may be unreadable
            text = ""
        if text:
            return text[:500]
    return exc.message


def retry_after_s(exc: openai.APIStatusError) -> float | None:
    """Seconds the server asks to wait: ``retry-after-ms``, ``Retry-After`` in seconds or as an HTTP date."""
    headers = exc.response.headers
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return float(ms) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


# vLLM: "At most 1 image(s) may be provided in one request."; Ollama (mllama): "this model only supports one
# image while more than one image requested".
_TOO_MANY = re.compile(r"at most (\d+) image|only supports (one) image", re.IGNORECASE)
_TOO_LARGE = re.compile(r"image.*(too (large|big)|exceed|size)|(too (large|big)|exceed).*image|payload too large"
                        r"|request entity too large", re.IGNORECASE)
_NO_VISION = re.compile(r"(does not|doesn't|not) support (image|vision|multimodal)|image input|no vision|"
                        r"multimodal.*not|mmproj", re.IGNORECASE)


def map_error(exc: BaseException, target: RemoteTarget, has_key: bool, images_sent: int) -> VisionDeskError:
    """A typed error with the fix for what the openai client (or the stream) raised.

    404 is left to the caller, which knows the server's model list (``ModelNotFound``).
    """
    url = target.api_url
    if isinstance(exc, VisionDeskError):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        phase = "connecting" if _caused_by(exc, "ConnectTimeout") else "waiting for the answer"
        secs = target.timeouts.connect_s if phase == "connecting" else target.timeouts.first_byte_s
        return ServerTimeout(url, phase, secs)
    if isinstance(exc, openai.APIConnectionError):
        cert = _find_cause(exc, ssl.SSLCertVerificationError)
        if cert is not None:
            return TlsVerifyFailed(url, getattr(cert, "verify_message", "") or str(cert))
        if _find_cause(exc, ssl.SSLError) is not None:
            return TlsVerifyFailed(url, str(_find_cause(exc, ssl.SSLError)))
        cause = exc.__cause__
        return ServerUnreachable(url, str(cause) if cause else "")
    if isinstance(exc, openai.APIStatusError):
        status, detail = exc.status_code, error_detail(exc)
        if status in (401, 403):
            return KeyRejected(url, status, has_key, detail)
        if status == 429:
            return RateLimited(url, retry_after_s(exc))
        if m := _TOO_MANY.search(detail):
            return TooManyImages(_limit(m), images_sent, detail)
        if status == 413 or (images_sent and _TOO_LARGE.search(detail)):
            return ImageTooLarge(detail, target.image_long_side)
        if images_sent and _NO_VISION.search(detail):
            return VisionNotSupported(target.model, url)
        if status >= 500:
            return ServerFailed(url, status, detail)
        return RequestRejected(url, status, detail)
    if isinstance(exc, openai.APIError):  # an error event inside the stream
        detail = error_detail(exc)
        if images_sent and _NO_VISION.search(detail):
            return VisionNotSupported(target.model, url)
        if m := _TOO_MANY.search(detail):
            return TooManyImages(_limit(m), images_sent, detail)
        return ServerFailed(url, None, detail)
    if isinstance(exc, ValueError | AttributeError | TypeError | KeyError):  # json.JSONDecodeError is a ValueError
        return MalformedChunk(url, f"{type(exc).__name__}: {exc}"[:300])
    return ServerFailed(url, None, f"{type(exc).__name__}: {exc}")


def _limit(match: re.Match[str]) -> int:
    return int(match.group(1)) if match.group(1) else 1


def _find_cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, kind):
            return cur
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return None


def _caused_by(exc: BaseException, name: str) -> bool:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if type(cur).__name__ == name:
            return True
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return False
