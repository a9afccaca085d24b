"""Fixtures for the remote backend: real servers on loopback (llama.cpp's llama-server, and VisionDesk's own
``visiondesk serve``: its API app under uvicorn over the local engine), key and server stores in a temp folder."""

from __future__ import annotations

import dataclasses
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import keyring.backends.fail
import pytest
from PIL import Image
from visiondesk.api import RequestLog, ServerConfig, create_app
from visiondesk.engine import Finished, Message, ModelSpec, SamplingParams, TextDelta
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.remote import KeyStore, RemoteBackend, ServerStore, Timeouts
from visiondesk.engine.remote.target import RemoteTarget

from tests.api.server_thread import ServerThread
from tests.model_factory import GeneratedModels
from tests.remote.imitation_server import Imitation, ImitationServer
from tests.remote.llama_server_build import build_server, find_server

API_KEY = "test-key-5d1c"
MODEL_ALIAS = "tiny-vision"  # the served model's name on both servers
GREEDY = SamplingParams(temperature=0.0, max_tokens=16, repeat_penalty=1.0)


@pytest.fixture(autouse=True)
def clean_network_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy or OpenAI variable of the developer's shell may steer these loopback requests."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
                 "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_CUSTOM_HEADERS"):
        monkeypatch.delenv(name, raising=False)


@dataclasses.dataclass
class LlamaServer:
    """A running server: its URL, the key it wants (or None), and what it records.

    llama-server writes a log file (``log``); ``visiondesk serve`` keeps a ``RequestLog`` (``requests``).
    """

    url: str
    log: Path | None
    api_key: str | None
    proc: subprocess.Popen[bytes] | None
    program: str = "llama-server"
    requests: RequestLog | None = None

    def log_text(self) -> str:
        assert self.log is not None, f"{self.program} keeps no log file"
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(binary: Path, models: GeneratedModels, folder: Path, api_key: str | None) -> LlamaServer:
    port = free_port()
    log = folder / f"llama-server-{port}.log"
    cmd = [str(binary), "-m", str(models.model), "--mmproj", str(models.mmproj), "--host", "127.0.0.1",
           "--port", str(port), "-c", "4096", "-np", "1", "-t", "1", "-tb", "1", "--no-webui", "--alias", MODEL_ALIAS,
           # The llama-server of llama-cpp-python 0.3.36 fails every request with "500 Chunk not found" once a
           # cached prompt [image A, image B, ...] is followed by one that diverges right after image A (e.g.
           # [image A, other text]): its prompt cache cuts between two image chunks. The tests share one server,
           # so they run without the prompt cache; the benchmark (identical requests) keeps it.
           "--no-cache-prompt"]
    if api_key:
        cmd += ["--api-key", api_key]
    fh = open(log, "wb")  # noqa: SIM115 - the server writes it for the whole session
    proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"llama-server exited with {proc.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if json.load(r).get("status") == "ok":
                    return LlamaServer(url, log, api_key, proc)
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"llama-server did not become ready in 120 s:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="session")
def llama_server_binary() -> Path:
    """The cached llama-server; built here (once per llama-cpp-python version) when missing."""
    found = find_server()
    if found is None:
        sys.stderr.write("\n[tests/remote] llama-server is not built for this llama-cpp-python yet: building it now "
                         "(once, about 7 minutes on 2 cores; see tests/remote/llama_server_build.py)...\n")
        found = build_server()
    return found


@pytest.fixture(scope="session")
def llama_server(llama_server_binary: Path, test_models: GeneratedModels,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """llama-server without an API key, serving the tiny generated vision pair."""
    server = _start(llama_server_binary, test_models, tmp_path_factory.mktemp("llama-server"), None)
    yield server
    server.proc.terminate()
    server.proc.wait(10)


@pytest.fixture(scope="session")
def llama_server_keyed(llama_server_binary: Path, test_models: GeneratedModels,
                       tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """llama-server started with ``--api-key``."""
    server = _start(llama_server_binary, test_models, tmp_path_factory.mktemp("llama-server-key"), API_KEY)
    yield server
    server.proc.terminate()
    server.proc.wait(10)


def _visiondesk_serve(models: GeneratedModels, folder: Path, api_key: str | None) -> Iterator[LlamaServer]:
    """``visiondesk serve``'s app (create_app under uvicorn, as the command runs it) over the local engine."""
    model = folder / f"{MODEL_ALIAS}.gguf"  # the model's name is its file's stem: the same name as llama-server's
    shutil.copy(models.model, model)
    with LocalEngine(log_dir=folder) as engine:
        engine.load(ModelSpec(model=model, mmproj=models.mmproj, n_ctx=4096, threads=1))
        requests = RequestLog()
        with ServerThread(create_app(engine, ServerConfig(api_key=api_key), requests)) as s:
            yield LlamaServer(f"http://127.0.0.1:{s.port}", None, api_key, None, "visiondesk serve", requests)


@pytest.fixture(scope="session")
def visiondesk_server(test_models: GeneratedModels, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """``visiondesk serve`` without an API key."""
    yield from _visiondesk_serve(test_models, tmp_path_factory.mktemp("visiondesk-serve"), None)


@pytest.fixture(scope="session")
def visiondesk_server_keyed(test_models: GeneratedModels,
                            tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """``visiondesk serve`` with an API key."""
    yield from _visiondesk_serve(test_models, tmp_path_factory.mktemp("visiondesk-serve-key"), API_KEY)


SERVER_PROGRAMS = ["llama-server", "visiondesk serve"]


@pytest.fixture(scope="session", params=SERVER_PROGRAMS)
def openai_server(request: pytest.FixtureRequest) -> LlamaServer:
    """Each real server in turn, without a key: the backend's suite runs against both."""
    name = "llama_server" if request.param == "llama-server" else "visiondesk_server"
    server: LlamaServer = request.getfixturevalue(name)
    return server


@pytest.fixture(scope="session", params=SERVER_PROGRAMS)
def openai_server_keyed(request: pytest.FixtureRequest) -> LlamaServer:
    """Each real server in turn, wanting ``API_KEY``."""
    name = "llama_server_keyed" if request.param == "llama-server" else "visiondesk_server_keyed"
    server: LlamaServer = request.getfixturevalue(name)
    return server


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    """Keys without a system credential store (keyring's fail backend): the private fallback file."""
    return KeyStore(backend=keyring.backends.fail.Keyring(), fallback_path=tmp_path / "keys" / "server-keys.json")


@pytest.fixture
def servers(keys: KeyStore, tmp_path: Path) -> ServerStore:
    """An empty server list in this test's folder."""
    return ServerStore(keys, path=tmp_path / "servers.json")


@pytest.fixture(scope="session")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A photo-like picture (many colours), a screenshot-like one (few), and a transparent logo."""
    import numpy as np

    d = tmp_path_factory.mktemp("pictures")
    rng = np.random.default_rng(1)
    photo = rng.integers(0, 255, (600, 900, 3), dtype=np.uint8)
    Image.fromarray(photo, "RGB").save(d / "photo.jpg", quality=92)
    shot = Image.new("RGB", (800, 500), (250, 250, 250))
    for y in range(40, 460, 24):
        for x in range(40, 760, 3):
            shot.putpixel((x, y), (20, 20, 20))
    shot.save(d / "screenshot.png")
    logo = Image.new("RGBA", (120, 80), (0, 0, 0, 0))
    for x in range(30, 90):
        for y in range(20, 60):
            logo.putpixel((x, y), (200, 40, 40, 255))
    logo.save(d / "logo.png")
    big = rng.integers(0, 255, (3000, 4000, 3), dtype=np.uint8)
    Image.fromarray(big, "RGB").save(d / "big.jpg", quality=80)
    return {"photo": d / "photo.jpg", "screenshot": d / "screenshot.png", "logo": d / "logo.png", "big": d / "big.jpg"}


def run(backend: RemoteBackend, messages: list[Message], sampling: SamplingParams = GREEDY,
        **kw: object) -> tuple[str, Finished, list[object]]:
    """Consume a chat stream: (text, final event, all events)."""
    events = list(backend.chat(messages, sampling, **kw))  # type: ignore[arg-type]
    final = events[-1]
    assert isinstance(final, Finished), events
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    return text, final, events


# -- the IMITATION servers (tests/remote/imitation_server.py) of test_server_faults.py and test_server_kinds.py --

FAST = Timeouts(connect_s=2.0, first_byte_s=3.0, between_chunks_s=0.6)
MLLAMA = "meta-llama/Llama-3.2-11B-Vision-Instruct"


@pytest.fixture
def vllm() -> Iterator[ImitationServer]:
    """An imitation of vLLM serving Llama 3.2 Vision (mllama) and a Qwen VL model."""
    with ImitationServer(Imitation("vllm", {MLLAMA: {"root": MLLAMA, "max_model_len": 8192},
                                            "Qwen/Qwen2.5-VL-72B-Instruct": {"max_model_len": 32768}})) as s:
        yield s


@pytest.fixture
def ollama() -> Iterator[ImitationServer]:
    """An imitation of Ollama with a vision model and a text-only one."""
    with ImitationServer(Imitation("ollama", {"llama3.2-vision:latest": {"vision": True},
                                              "llama3.2:latest": {"vision": False}})) as s:
        yield s


def connect(servers: ServerStore, url: str, model: str, **kw: object) -> RemoteBackend:
    """A backend on the imitation at ``url`` (added to ``servers``), ``model`` loaded, short timeouts."""
    servers.add(url, name="imitation")
    backend = RemoteBackend(servers)
    backend.load(RemoteTarget(base_url=url, model=model, timeouts=kw.pop("timeouts", FAST), **kw))  # type: ignore[arg-type]
    return backend


def ask(*images: Path) -> list[Message]:
    """A short receipt question with ``images``."""
    return [Message.system("Be brief."), Message.user("What is the total?", *images)]
