"""``ask``, ``chat`` and ``serve`` keep image encodings in the app's engine cache (the data directory's
``cache/engine``, bounded by the ``engine_cache_mb`` setting): a second process about the same image does not
encode it again. ``--no-cache`` opts out; a cache that cannot be written costs the cache, never the answer.

Every process is the real console script on the generated models, in the test's own data directory
(``VISIONDESK_DATA_DIR``, set for every test by tests/conftest.py and inherited by the processes).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import openai
import pytest
from PIL import Image
from visiondesk.core.paths import DataPaths
from visiondesk.core.settings import Settings, SettingsRepository

from tests.api.conftest import data_url, image_part, png_bytes
from tests.cli.test_chat_commands import BIN, model_args, stats_lines, visiondesk
from tests.model_factory import GeneratedModels


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    Image.new("RGB", (56, 40), (200, 120, 30)).save(path)
    return path


def ask(models: GeneratedModels, photo: Path, question: str, *extra: str) -> dict[str, object]:
    """One ``visiondesk ask`` process about ``photo``; its ``--stats`` line."""
    r = visiondesk("ask", *model_args(models, "--image", str(photo), "--max-tokens", "4", "--stats", *extra), question)
    assert r.returncode == 0, r.stderr
    (stats,) = stats_lines(r.stderr)
    return stats


def embeddings() -> list[Path]:
    folder = DataPaths.default().engine_cache / "embeddings"
    return sorted(folder.iterdir()) if folder.is_dir() else []


def test_a_second_ask_about_the_same_image_does_not_encode_it(test_models: GeneratedModels, photo: Path) -> None:
    first = ask(test_models, photo, "What is in this photo?")
    assert (first["images_encoded"], first["images_reused"]) == (1, 0)
    assert len(embeddings()) == 1  # in the app's cache folder, where the window finds it too
    second = ask(test_models, photo, "And what colour is it?")  # another process
    assert (second["images_encoded"], second["images_reused"]) == (0, 1)
    no_cache = ask(test_models, photo, "And its size?", "--no-cache")
    assert (no_cache["images_encoded"], no_cache["images_reused"]) == (1, 0)


def test_chat_reads_the_encoding_an_earlier_ask_kept(test_models: GeneratedModels, photo: Path) -> None:
    ask(test_models, photo, "What is in this photo?")
    r = visiondesk("chat", *model_args(test_models, "--max-tokens", "4", "--stats"), stdin=f"/image {photo}\nHi\n")
    assert r.returncode == 0, r.stderr
    (stats,) = stats_lines(r.stderr)
    assert (stats["images_encoded"], stats["images_reused"]) == (0, 1)


def test_the_size_setting_is_the_apps(test_models: GeneratedModels, photo: Path) -> None:
    """``engine_cache_mb`` 0 in the settings (the app's "keep nothing"): the commands keep nothing either."""
    paths = DataPaths.default()
    SettingsRepository(paths.settings).save(Settings(engine_cache_mb=0))
    for _ in range(2):
        stats = ask(test_models, photo, "What is in this photo?")
        assert stats["images_encoded"] == 1
    assert not paths.engine_cache.exists()


def test_an_unwritable_data_directory_costs_the_cache_not_the_answer(test_models: GeneratedModels,
                                                                      photo: Path) -> None:
    """A read-only home, as a script may have (tests run as root, so files stand where the folders belong)."""
    root = DataPaths.default().root
    root.mkdir(parents=True)
    (root / "cache").write_text("not a folder")
    (root / "logs").write_text("not a folder")
    for _ in range(2):
        r = visiondesk("ask", *model_args(test_models, "--image", str(photo), "--max-tokens", "4", "--stats"),
                       "What is in this photo?")
        assert r.returncode == 0, r.stderr
        assert "Traceback" not in r.stderr
        assert "the engine cache" in r.stderr and "cannot be written" in r.stderr  # one line says why
        assert stats_lines(r.stderr)[0]["images_encoded"] == 1
    assert (root / "cache").read_text() == "not a folder"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_and_ask(models: GeneratedModels, picture: bytes, *extra: str) -> dict[str, object]:
    """A ``visiondesk serve`` process asked once about ``picture`` through the openai client; its usage extras."""
    port = _free_port()
    proc = subprocess.Popen([str(BIN), "serve", "--model", str(models.model), "--mmproj", str(models.mmproj),
                             "--port", str(port), "--ctx", "1024", "--threads", "1", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        with openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="none", max_retries=0) as client:
            deadline = time.monotonic() + 90
            while True:
                assert proc.poll() is None, proc.communicate()[1]
                try:
                    client.models.list()
                    break
                except openai.APIConnectionError:
                    assert time.monotonic() < deadline, "the server did not start"
                    time.sleep(0.2)
            r = client.chat.completions.create(model="x", max_tokens=3, temperature=0, messages=[{
                "role": "user", "content": [{"type": "text", "text": "What is this?"}, image_part(data_url(picture))]}])
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert r.usage is not None and r.usage.model_extra is not None
    extra_usage: dict[str, object] = r.usage.model_extra["x_visiondesk"]
    return extra_usage


def test_a_restarted_server_does_not_encode_an_image_again(test_models: GeneratedModels) -> None:
    picture = png_bytes((20, 160, 90))
    first = serve_and_ask(test_models, picture)
    assert (first["images_encoded"], first["images_reused"]) == (1, 0)
    assert first["projector_load_ms"] == 0  # opened when the server loaded, not in the first image's request
    again = serve_and_ask(test_models, picture)  # a new server process, the same image from another client
    assert (again["images_encoded"], again["images_reused"]) == (0, 1)
    no_cache = serve_and_ask(test_models, picture, "--no-cache")
    assert (no_cache["images_encoded"], no_cache["images_reused"]) == (1, 0)
