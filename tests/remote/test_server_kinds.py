"""What each kind of server says about itself, from the IMITATION server (tests/remote/imitation_server.py):
vLLM's one-image limit for Llama 3.2 Vision (mllama), Ollama's capabilities, tags and error shapes, LM Studio's
"vlm", and any other server learning vision from the first image."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from visiondesk.engine import Message, StopReason
from visiondesk.engine.remote import (
    ModelNotFound,
    OneImagePerPrompt,
    RemoteBackend,
    ServerKind,
    ServerStore,
    TooManyImages,
    VisionNotSupported,
)

from tests.remote.conftest import MLLAMA, ask, connect, run
from tests.remote.imitation_server import (
    OLLAMA_ONE_IMAGE_ERROR,
    VLLM_ONE_IMAGE_ERROR,
    Imitation,
    ImitationServer,
    json_reply,
)


def test_vllm_mllama_one_image_limit_is_said_before_sending(servers: ServerStore, vllm: ImitationServer,
                                                            pictures: dict[str, Path]) -> None:
    backend = connect(servers, vllm.url, MLLAMA)
    assert backend.server_kind is ServerKind.VLLM and backend.info and backend.info.vision is True
    assert backend.info.n_ctx == 8192
    history = [Message.user("What is this?", pictures["photo"]), Message.assistant("A photo."),
               Message.user("And this one?", pictures["screenshot"])]
    _, fin, _ = run(backend, history)
    assert isinstance(fin.error, OneImagePerPrompt) and "Nothing was sent" in str(fin.error)
    assert "send only the newest image" in str(fin.error)
    assert vllm.imitation.requests == []
    newest = connect(ServerStore(servers.keys, path=None), vllm.url, MLLAMA, newest_image_only=True)
    _, fin, _ = run(newest, history)
    assert fin.stop_reason is StopReason.END
    sent = json.dumps(vllm.imitation.requests[-1]["messages"])
    assert sent.count("data:image/") == 1 and "an earlier image, not sent again" in sent
    assert "data:image/png" in sent, "the newest image (the screenshot, few colours) was the one sent"


def test_vllms_own_one_image_error_text_names_the_limit(servers: ServerStore, vllm: ImitationServer,
                                                        pictures: dict[str, Path]) -> None:
    backend = connect(servers, vllm.url, "Qwen/Qwen2.5-VL-72B-Instruct")
    assert backend.info and backend.info.vision is None, "vLLM does not say; unknown until tried"
    vllm.imitation.script = [json_reply(400, VLLM_ONE_IMAGE_ERROR)]
    _, fin, _ = run(backend, ask(pictures["photo"], pictures["logo"]))
    assert isinstance(fin.error, TooManyImages) and fin.error.limit == 1 and fin.error.sent == 2
    assert "at most 1 image(s) per prompt" in str(fin.error)


def test_ollama_capabilities_tags_and_error_shapes(servers: ServerStore, ollama: ImitationServer,
                                                   pictures: dict[str, Path]) -> None:
    backend = connect(servers, ollama.url, "llama3.2-vision")  # Ollama's implicit :latest tag
    assert backend.server_kind is ServerKind.OLLAMA
    assert backend.info and backend.info.model_name == "llama3.2-vision:latest" and backend.info.vision is True
    assert backend.info.n_ctx == 131072 and backend.info.remote_host is None
    ollama.imitation.script = [json_reply(500, OLLAMA_ONE_IMAGE_ERROR)]
    _, fin, _ = run(backend, ask(pictures["photo"], pictures["logo"]))
    assert isinstance(fin.error, TooManyImages) and fin.error.limit == 1
    del ollama.imitation.models["llama3.2-vision:latest"]  # "ollama rm" while the chat is open
    _, fin, _ = run(backend, ask())
    assert isinstance(fin.error, ModelNotFound) and fin.error.available == ("llama3.2:latest",)
    text_only = RemoteBackend(servers)
    text_only.load(servers.require(ollama.url).target("llama3.2:latest"))
    assert text_only.info and text_only.info.vision is False
    before = len(ollama.imitation.requests)
    _, fin, _ = run(text_only, ask(pictures["photo"]))
    assert isinstance(fin.error, VisionNotSupported) and len(ollama.imitation.requests) == before
    with pytest.raises(ModelNotFound, match="llama3.2:latest"):
        text_only.load(servers.require(ollama.url).target("llava"))


def test_lm_studio_says_vlm(servers: ServerStore) -> None:
    with ImitationServer(Imitation("lmstudio", {"qwen2-vl-7b": {"vision": True}, "phi-4": {"vision": False}})) as s:
        backend = connect(servers, s.url, "qwen2-vl-7b")
        assert backend.server_kind is ServerKind.LM_STUDIO and backend.info and backend.info.vision is True
        backend.load(servers.require(s.url).target("phi-4"))
        assert backend.info.vision is False


def test_any_other_server_learns_vision_from_the_first_image(servers: ServerStore, pictures: dict[str, Path]) -> None:
    with ImitationServer(Imitation("other", {"my-vlm": {}})) as s:
        backend = connect(servers, s.url, "my-vlm")
        assert backend.server_kind is ServerKind.OTHER and backend.info and backend.info.vision is None
        _, fin, _ = run(backend, ask(pictures["photo"]))
        assert fin.stop_reason is StopReason.END and backend.info.vision is True
        blind = RemoteBackend(servers)
        blind.load(servers.require(s.url).target("my-vlm"))
        s.imitation.script = [json_reply(400, {"error": {"message": "This model does not support image input"}})]
        _, fin, _ = run(blind, ask(pictures["photo"]))
        assert isinstance(fin.error, VisionNotSupported) and blind.info and blind.info.vision is False
        _, fin, _ = run(blind, ask(pictures["logo"]))
        assert isinstance(fin.error, VisionNotSupported), "said at once, without sending"
        assert len(s.imitation.requests) == 2
