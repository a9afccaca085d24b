"""Safe by default: loopback only without a key, the key checked, browsers' origins refused unless named."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from visiondesk.api import Limits, RequestLog, ServerConfig, create_app
from visiondesk.engine.llama import LocalEngine

from tests.api.conftest import API_KEY, wait_for
from tests.api.server_thread import ServerThread
from tests.model_factory import GeneratedModels

ALLOWED = "http://localhost:3000"


@pytest.fixture(scope="module")
def log() -> RequestLog:
    return RequestLog()


@pytest.fixture(scope="module")
def keyed(engine: LocalEngine, log: RequestLog) -> Iterator[ServerThread]:
    with ServerThread(create_app(engine, ServerConfig(api_key=API_KEY, cors_origins=(ALLOWED,)), log)) as s:
        yield s


def raw(server: ServerThread, method: str, path: str, headers: dict[str, str],
        payload: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request(method, path, payload, headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


CHAT = json.dumps({"model": "x", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 2}).encode()


def test_non_loopback_host_without_a_key_is_refused() -> None:
    for host in ("0.0.0.0", "192.168.1.20", "::", "example.com"):
        with pytest.raises(ValueError, match="without an API key"):
            ServerConfig(host=host).check()
    ServerConfig(host="0.0.0.0", api_key=API_KEY).check()  # with a key it may
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        ServerConfig(host=host).check()


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="shorter than 8"):
        ServerConfig(api_key="abc").check()
    with pytest.raises(ValueError, match="no wildcards"):
        ServerConfig(cors_origins=("*",)).check()
    with pytest.raises(ValueError, match="not a folder"):
        ServerConfig(allow_file_dir=Path("/no/such/folder")).check()
    with pytest.raises(ValueError, match="limits must be positive"):
        ServerConfig(limits=Limits(max_queue=-1)).check()
    with pytest.raises(ValueError, match="not between 1 and 65535"):
        ServerConfig(port=70000).check()


def test_the_key_is_required_and_checked(keyed: ServerThread, log: RequestLog) -> None:
    before = len(log.recent())
    for key in ("wrong-key-0123456789", API_KEY + "x", API_KEY[:-1], "x" * len(API_KEY)):
        with openai.OpenAI(base_url=keyed.base_url, api_key=key, max_retries=0) as c, \
                pytest.raises(openai.AuthenticationError) as refused:
            c.chat.completions.create(model="x", messages=[{"role": "user", "content": "hi"}], max_tokens=2)
        assert refused.value.status_code == 401 and refused.value.code == "invalid_api_key"
    status, headers, body = raw(keyed, "GET", "/v1/models", {})
    assert status == 401 and json.loads(body)["error"]["message"].startswith("The API key is missing")
    assert headers["www-authenticate"] == "Bearer"
    for value in (f"Basic {API_KEY}", f"Bearer é{API_KEY}", "Bearer"):
        assert raw(keyed, "GET", "/v1/models", {"Authorization": value})[0] == 401
    assert len(log.recent()) == before  # refused before any route ran
    with openai.OpenAI(base_url=keyed.base_url, api_key=API_KEY, max_retries=0) as c:
        r = c.chat.completions.create(model="x", messages=[{"role": "user", "content": "hi"}], max_tokens=2)
        assert r.usage.completion_tokens == 2  # type: ignore[union-attr]
    assert raw(keyed, "GET", "/health", {})[0] == 200  # health needs no key


def test_cors_preflight(keyed: ServerThread, server: ServerThread) -> None:
    ask = {"Origin": ALLOWED, "Access-Control-Request-Method": "POST",
           "Access-Control-Request-Headers": "authorization, content-type, x-stainless-os"}
    status, headers, _ = raw(keyed, "OPTIONS", "/v1/chat/completions", ask)
    assert status == 204 and headers["access-control-allow-origin"] == ALLOWED
    assert "x-stainless-os" in headers["access-control-allow-headers"]
    for target, origin in ((keyed, "http://evil.example"), (keyed, "null"), (server, ALLOWED)):
        status, headers, body = raw(target, "OPTIONS", "/v1/chat/completions", {**ask, "Origin": origin})
        assert status == 403 and "access-control-allow-origin" not in headers
        error = json.loads(body)["error"]
        assert error["code"] == "origin_not_allowed" and "--cors-origin" in error["message"]


def test_cross_origin_requests_without_preflight(keyed: ServerThread, server: ServerThread) -> None:
    auth = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    status, headers, body = raw(keyed, "POST", "/v1/chat/completions", {**auth, "Origin": ALLOWED}, CHAT)
    assert status == 200 and headers["access-control-allow-origin"] == ALLOWED and headers["vary"] == "Origin"
    # a page may POST text/plain without a preflight: refused all the same, before the model runs
    simple = {"Content-Type": "text/plain", "Origin": "http://evil.example"}
    status, headers, body = raw(server, "POST", "/v1/chat/completions", simple, CHAT)
    assert status == 403 and "access-control-allow-origin" not in headers


def test_dns_rebinding_is_refused(server: ServerThread) -> None:
    status, _, body = raw(server, "GET", "/v1/models", {"Host": "attacker.example:8765"})
    assert status == 400 and json.loads(body)["error"]["code"] == "invalid_host"
    for host in (f"localhost:{server.port}", f"127.0.0.1:{server.port}", "[::1]:8765"):
        assert raw(server, "GET", "/v1/models", {"Host": host})[0] == 200


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "visiondesk", "serve", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})


def test_command_refuses_unsafe_settings(test_models: GeneratedModels) -> None:
    model = str(test_models.model)
    for args, env, words in (
            (["--host", "0.0.0.0"], {}, "without an API key"),
            (["--host", "0.0.0.0", "--api-key-env", "VD_TEST_NO_SUCH_VAR"], {}, "not set or empty"),
            (["--cors-origin", "*"], {}, "no wildcards"),
            (["--max-queue", "-1"], {}, "limits must be positive"),
            (["--chat-template", "/no/such/template.jinja"], {}, "No such file"),
            (["--allow-file-dir", "/no/such/folder"], {}, "not a folder")):
        proc = serve("--model", model, *args, env=env)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 2, err
        assert words in err and "Traceback" not in err


def test_command_serves_until_interrupted(test_models: GeneratedModels) -> None:
    port = _free_port()
    proc = serve("--model", str(test_models.model), "--mmproj", str(test_models.mmproj), "--port", str(port),
                 "--ctx", "512", "--threads", "1", "--api-key-env", "VD_TEST_KEY", env={"VD_TEST_KEY": API_KEY})
    try:
        with openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key=API_KEY, max_retries=0) as c:
            def up() -> bool:
                assert proc.poll() is None, proc.communicate()[1]
                try:
                    return bool(c.models.list().data)
                except openai.APIConnectionError:
                    return False

            wait_for(up, timeout=60)
            model = c.models.list().data[0]
            assert model.id == "tiny-chat" and model.model_extra["context_length"] == 512  # type: ignore[index]
            r = c.chat.completions.create(model="x", messages=[{"role": "user", "content": "hi"}], max_tokens=3)
            assert r.usage.completion_tokens == 3  # type: ignore[union-attr]
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"serving at http://127.0.0.1:{port}/v1" in err and "Traceback" not in err
    assert "vision: True, projector opened at load," in err  # a server's first image does not wait for it
