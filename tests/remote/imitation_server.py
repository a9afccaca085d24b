"""An IMITATION of vLLM, Ollama and LM Studio servers, on loopback, that injects faults on demand.

Not a real server: it answers the few endpoints VisionDesk asks (``/v1/models``, Ollama's ``/api/version``
and ``/api/show``, LM Studio's ``/api/v0/models``) in those servers' shapes, and plays a script of
answers to ``/v1/chat/completions``: a normal stream, a stream cut mid-answer, 429 with ``Retry-After``,
500s, a stall, a malformed chunk, and the error texts those servers send. It exists for what a real
server will not do on demand; the real-server tests use llama.cpp's llama-server.
"""

from __future__ import annotations

import dataclasses
import json
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Handler = BaseHTTPRequestHandler
Act = Callable[[Handler], None]


def _chunk(model: str, content: str | None = None, finish: str | None = None, role: bool = False) -> dict[str, Any]:
    delta: dict[str, Any] = {"role": "assistant"} if role else {}
    if content is not None:
        delta["content"] = content
    return {"id": "chatcmpl-imitation", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def _send_headers(h: Handler, status: int, headers: dict[str, str] | None = None, chunked: bool = False,
                  length: int | None = None) -> None:
    h.send_response(status)
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    if chunked:
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Transfer-Encoding", "chunked")
    else:
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(length or 0))
    h.end_headers()


def _write_chunked(h: Handler, data: bytes) -> None:
    h.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    h.wfile.flush()


def _event(h: Handler, payload: dict[str, Any] | str) -> None:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    _write_chunked(h, f"data: {text}\n\n".encode())


def _end_stream(h: Handler) -> None:
    _event(h, "[DONE]")
    h.wfile.write(b"0\r\n\r\n")
    h.wfile.flush()


def wait_for_disconnect(h: Handler, seconds: float) -> None:
    """Hold the request (a server busy reading a prompt, or stalled) for up to ``seconds``; note when the client
    closes the connection in ``Imitation.disconnected_at``."""
    sock = h.connection
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        readable, _, _ = select.select([sock], [], [], 0.01)
        if readable:
            try:
                closed = sock.recv(1, socket.MSG_PEEK) == b""
            except OSError:
                closed = True
            if closed:
                h.server.imitation.disconnected_at = time.monotonic()  # type: ignore[attr-defined]
                return


def hold(seconds: float) -> Act:
    """Send nothing for ``seconds`` (no headers either), watching for the client to go away."""
    return lambda h: wait_for_disconnect(h, seconds)


def json_reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Act:
    """Answer with ``status`` and a JSON ``body``."""
    def act(h: Handler) -> None:
        data = json.dumps(body).encode()
        _send_headers(h, status, headers, length=len(data))
        h.wfile.write(data)
    return act


def stream(tokens: list[str], finish: str | None = "stop", usage: bool = True, delay: float = 0.0,
           cut_after: int | None = None, stall_after: int | None = None, stall_s: float = 0.0,
           malformed_after: int | None = None, error_after: int | None = None, error_message: str = "") -> Act:
    """A streamed answer of ``tokens``; optionally cut, stalled, broken or failing after some of them."""
    def act(h: Handler) -> None:
        model = h.server.imitation.last_model  # type: ignore[attr-defined]
        _send_headers(h, 200, chunked=True)
        _event(h, _chunk(model, "", role=True))
        for i, tok in enumerate(tokens):
            if cut_after is not None and i == cut_after:
                h.close_connection = True
                h.wfile.flush()
                h.connection.shutdown(2)  # the connection drops: no last chunk, no [DONE]
                return
            if stall_after is not None and i == stall_after:
                wait_for_disconnect(h, stall_s)
            if malformed_after is not None and i == malformed_after:
                _event(h, '{"choices": [{"delta": {"content": "x"')  # truncated JSON
            if error_after is not None and i == error_after:
                _event(h, {"error": {"message": error_message, "type": "server_error"}})
            _event(h, _chunk(model, tok))
            if delay:
                time.sleep(delay)
        _event(h, _chunk(model, None, finish))
        if usage:
            _event(h, {"id": "chatcmpl-imitation", "object": "chat.completion.chunk", "model": model, "choices": [],
                       "usage": {"prompt_tokens": 21, "completion_tokens": len(tokens),
                                 "total_tokens": 21 + len(tokens)}})
        _end_stream(h)
    return act


class Counting:
    """An answer that takes 0.4 s before ``then`` answers, counting how many are being answered at once (``peak``)."""

    def __init__(self, then: Act) -> None:
        self.then = then
        self.now = self.peak = 0
        self._lock = threading.Lock()

    def __call__(self, h: Handler) -> None:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(0.4)
        with self._lock:
            self.now -= 1
        self.then(h)


@dataclasses.dataclass
class Imitation:
    """What the imitation server is, and what it received."""

    flavor: str  # "vllm", "ollama", "lmstudio", "other"
    models: dict[str, dict[str, Any]]  # id -> flavor-specific facts (vision, root...)
    api_key: str | None = None
    script: list[Act] = dataclasses.field(default_factory=list)
    requests: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    headers: list[dict[str, str]] = dataclasses.field(default_factory=list)
    paths: list[str] = dataclasses.field(default_factory=list)
    last_model: str = ""
    disconnected_at: float | None = None  # when a held request's client closed the connection
    proxied_for: list[str] = dataclasses.field(default_factory=list)  # hosts of requests it got as a proxy
    default: Act = dataclasses.field(default_factory=lambda: stream(["Hello", " there", "."]))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def parse_request(self) -> bool:
        ok = super().parse_request()
        if ok and self.path.startswith("http://"):  # absolute form: we are being used as an HTTP proxy
            parts = urlsplit(self.path)
            self.imitation.proxied_for.append(parts.netloc)
            self.path = parts.path + (f"?{parts.query}" if parts.query else "")
        return ok

    @property
    def imitation(self) -> Imitation:
        return self.server.imitation  # type: ignore[attr-defined,no-any-return]

    def _authorized(self) -> bool:
        key = self.imitation.api_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return True
        json_reply(401, {"error": {"message": "Invalid API key", "type": "invalid_request_error"}})(self)
        return False

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        im = self.imitation
        im.paths.append(self.path)
        if not self._authorized():
            return
        if self.path == "/v1/models":
            owner = {"vllm": "vllm", "ollama": "library", "lmstudio": "organization_owner"}.get(im.flavor, "someone")
            data = [{"id": mid, "object": "model", "owned_by": owner, **{k: v for k, v in facts.items()
                                                                          if k in ("root", "max_model_len")}}
                    for mid, facts in im.models.items()]
            json_reply(200, {"object": "list", "data": data})(self)
        elif self.path == "/api/version" and im.flavor == "ollama":
            json_reply(200, {"version": "0.12.3"})(self)
        elif self.path == "/api/v0/models" and im.flavor == "lmstudio":
            json_reply(200, {"object": "list", "data": [
                {"id": mid, "object": "model", "type": "vlm" if f.get("vision") else "llm",
                 "max_context_length": f.get("ctx", 4096)} for mid, f in im.models.items()]})(self)
        else:
            json_reply(404, {"error": "not found"} if im.flavor == "ollama" else {"detail": "Not Found"})(self)

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        im = self.imitation
        im.paths.append(self.path)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        im.headers.append(dict(self.headers))
        if not self._authorized():
            return
        if self.path == "/api/show" and im.flavor == "ollama":
            facts = im.models.get(body.get("model", ""))
            if facts is None:  # Ollama's native error shape: "error" is a string
                json_reply(404, {"error": f"model '{body.get('model')}' not found"})(self)
                return
            caps = ["completion", "vision"] if facts.get("vision") else ["completion"]
            json_reply(200, {"capabilities": caps, "model_info": {"mllama.context_length": 131072}})(self)
            return
        if self.path != "/v1/chat/completions":
            json_reply(404, {"detail": "Not Found"})(self)
            return
        im.requests.append(body)
        im.last_model = body.get("model", "")
        if im.last_model not in im.models:
            if im.flavor == "ollama":  # Ollama's OpenAI-compatible shape
                json_reply(404, {"error": {"message": f'model "{im.last_model}" not found, try pulling it first',
                                           "type": "api_error", "param": None, "code": None}})(self)
            else:  # vLLM's shape
                json_reply(404, {"object": "error", "message": f"The model `{im.last_model}` does not exist.",
                                 "type": "NotFoundError", "param": None, "code": 404})(self)
            return
        act = im.script.pop(0) if im.script else im.default
        act(self)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer (cancel, timeout) is what several tests do on purpose.
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError | BrokenPipeError):
            super().handle_error(request, client_address)


class ImitationServer:
    """Runs an ``Imitation`` on 127.0.0.1 in a thread; use as a context manager."""

    def __init__(self, imitation: Imitation, tls: ssl.SSLContext | None = None) -> None:
        self.imitation = imitation
        self._httpd = _QuietServer(("127.0.0.1", 0), _Handler)
        self._scheme = "http"
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
            self._scheme = "https"
        self._httpd.imitation = imitation  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"{self._scheme}://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> ImitationServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


VLLM_ONE_IMAGE_ERROR = {"object": "error", "message": "At most 1 image(s) may be provided in one request.",
                        "type": "BadRequestError", "param": None, "code": 400}
OLLAMA_ONE_IMAGE_ERROR = {"error": {"message": "this model only supports one image while more than one image requested",
                                    "type": "api_error", "param": None, "code": None}}
