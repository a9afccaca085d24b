"""The real server on loopback, over the real engine on the generated tiny models; the real openai client."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import openai
import pytest
from PIL import Image
from visiondesk.api import Limits, RequestLog, ServerConfig, create_app
from visiondesk.engine import ModelSpec
from visiondesk.engine.llama import LocalEngine

from tests.api.server_thread import ServerThread
from tests.engine import conftest as engine_fixtures
from tests.model_factory import TextShape, write_mmproj, write_text_model

API_KEY = "test-key-0123456789"


def png_bytes(color: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> bytes:
    """A small PNG with some structure, so two colours encode differently."""
    img = Image.new("RGB", size, color)
    for x in range(0, size[0], 8):
        img.putpixel((x, x % size[1]), (255, 255, 255))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def data_url(data: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def image_part(url: str) -> dict[str, object]:
    return {"type": "image_url", "image_url": {"url": url}}


@pytest.fixture(scope="session")
def red_png() -> bytes:
    return png_bytes((220, 30, 30))


@pytest.fixture(scope="session")
def blue_png() -> bytes:
    return png_bytes((30, 30, 220))


@pytest.fixture(scope="module")
def file_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("allowed-images")
    (d / "green.png").write_bytes(png_bytes((30, 200, 60)))
    return d


@pytest.fixture(scope="module")
def request_log() -> RequestLog:
    return RequestLog()


engine = engine_fixtures.engine  # the loaded tiny engine: the same fixture as in the engine tests


@pytest.fixture(scope="module")
def server(engine: LocalEngine, request_log: RequestLog) -> Iterator[ServerThread]:
    """Loopback, no key, small limits so the refusals are cheap to provoke."""
    config = ServerConfig(limits=Limits(max_body_bytes=2 * 2**20, max_images=3, max_messages=32,
                                        max_image_pixels=4_000_000, max_queue=4))
    with ServerThread(create_app(engine, config, request_log)) as s:
        yield s


@pytest.fixture(scope="module")
def client(server: ServerThread) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0, timeout=60) as c:
        yield c


@pytest.fixture(scope="session")
def slow_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A wider text model (~100 tok/s on one shared core) so answers last long enough to be cut mid-stream."""
    d = tmp_path_factory.mktemp("slow")
    model = write_text_model(d / "slow-chat.gguf", shape=TextShape(n_embd=320, n_layer=4, n_head=4, n_ff=960))
    return model, write_mmproj(d / "slow-mmproj.gguf", projection_dim=320)


@pytest.fixture(scope="module")
def slow_engine(slow_models: tuple[Path, Path]) -> Iterator[LocalEngine]:
    with LocalEngine() as e:
        e.load(ModelSpec(model=slow_models[0], mmproj=slow_models[1], n_ctx=2048, threads=1))
        yield e


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.005)
