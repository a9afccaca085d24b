"""The real openai client against `create_app` over the real engine: answers, images, streaming, reuse."""

from __future__ import annotations

import base64
import http.client
import json
import os

import openai
import pytest
from visiondesk.engine.llama import LocalEngine

from tests.api.conftest import data_url, image_part, png_bytes
from tests.api.server_thread import ServerThread

GREEDY = {"temperature": 0, "max_tokens": 12}


def test_text_answer_with_usage_and_finish_reason(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(model="tiny-chat", messages=[{"role": "user", "content": "Hello there"}],
                                       **GREEDY)
    choice = r.choices[0]
    assert r.object == "chat.completion" and r.id.startswith("chatcmpl-") and r.model == "tiny-chat"
    assert choice.message.role == "assistant" and choice.message.content
    assert choice.finish_reason == "length"  # the random model never ends by itself within 12 tokens
    assert r.usage is not None and r.usage.completion_tokens == 12
    assert r.usage.total_tokens == r.usage.prompt_tokens + 12 and r.usage.prompt_tokens > 2


def test_text_parts_and_system_message(client: openai.OpenAI) -> None:
    r = client.chat.completions.create(model="x", messages=[
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "Two"}, {"type": "text", "text": "parts"}]}],
        **GREEDY)
    assert r.choices[0].message.content and r.usage is not None
    plain = client.chat.completions.create(model="x", messages=[{"role": "user", "content": "Two\nparts"}],
                                           **GREEDY)
    assert r.usage.prompt_tokens > plain.usage.prompt_tokens  # type: ignore[union-attr] # the system prompt counted


def test_one_image_is_seen(client: openai.OpenAI) -> None:
    png = png_bytes((200, 120, 10))
    r = client.chat.completions.create(model="x", messages=[{"role": "user", "content": [
        {"type": "text", "text": "What is in the image?"}, image_part(data_url(png))]}], **GREEDY)
    text_only = client.chat.completions.create(model="x", messages=[
        {"role": "user", "content": "What is in the image?"}], **GREEDY)
    assert r.usage is not None and text_only.usage is not None
    assert r.usage.prompt_tokens - text_only.usage.prompt_tokens >= 16  # 16 image tokens (and a newline)
    extra = r.usage.model_extra["x_visiondesk"]  # type: ignore[index]
    assert extra["images_encoded"] + extra["images_reused"] == 1


def test_two_images_and_the_bare_base64_form(client: openai.OpenAI) -> None:
    one, two = png_bytes((10, 200, 200)), png_bytes((90, 10, 90))
    bare = data_url(two).split(",", 1)[1]  # Ollama's clients send the base64 alone
    r = client.chat.completions.create(model="x", messages=[{"role": "user", "content": [
        {"type": "text", "text": "Compare them."}, image_part(data_url(one)),
        {"type": "image_url", "image_url": bare}]}], **GREEDY)
    single = client.chat.completions.create(model="x", messages=[{"role": "user", "content": [
        {"type": "text", "text": "Compare them."}, image_part(data_url(one))]}], **GREEDY)
    assert r.usage is not None and single.usage is not None
    assert r.usage.prompt_tokens - single.usage.prompt_tokens >= 16
    extra = r.usage.model_extra["x_visiondesk"]  # type: ignore[index]
    assert extra["images_encoded"] + extra["images_reused"] == 2


def test_follow_up_reuses_the_cached_image_and_prefix(client: openai.OpenAI, engine: LocalEngine) -> None:
    photo = data_url(png_bytes((17, 99, 201)))  # a colour no other test sends
    first_turn = {"role": "user", "content": [{"type": "text", "text": "Describe it."}, image_part(photo)]}
    r1 = client.chat.completions.create(model="x", messages=[first_turn], **GREEDY)
    u1 = r1.usage.model_extra["x_visiondesk"]  # type: ignore[union-attr,index]
    assert u1["images_encoded"] == 1 and u1["images_reused"] == 0
    r2 = client.chat.completions.create(model="x", messages=[
        first_turn, {"role": "assistant", "content": r1.choices[0].message.content},
        {"role": "user", "content": "And the colour?"}], **GREEDY)
    assert r2.usage is not None
    u2 = r2.usage.model_extra["x_visiondesk"]  # type: ignore[index]
    assert u2["images_encoded"] == 0 and u2["images_reused"] == 1  # the image was not encoded again
    cached = r2.usage.prompt_tokens_details.cached_tokens  # type: ignore[union-attr]
    assert cached is not None and cached >= r1.usage.prompt_tokens - 2  # type: ignore[union-attr]
    # only the answer and the new question were read: the first turn, image included, came from the cache
    assert u2["prompt_tokens_evaluated"] == r2.usage.prompt_tokens - cached
    assert u2["prompt_tokens_evaluated"] <= r2.usage.prompt_tokens - r1.usage.prompt_tokens + 2  # type: ignore[union-attr]


def test_stop_string_cuts_the_answer(client: openai.OpenAI) -> None:
    messages = [{"role": "user", "content": "Say something long."}]
    full = client.chat.completions.create(model="x", messages=messages, temperature=0, max_tokens=24)
    text = full.choices[0].message.content or ""
    assert len(text) >= 8
    stop = text[4:6]
    cut = client.chat.completions.create(model="x", messages=messages, temperature=0, max_tokens=24, stop=[stop])
    assert cut.choices[0].message.content == text[:text.index(stop)]
    assert cut.choices[0].finish_reason == "stop"


def test_seed_determinism(client: openai.OpenAI) -> None:
    messages = [{"role": "user", "content": "Pick some words."}]
    greedy = [client.chat.completions.create(model="x", messages=messages, temperature=0, seed=s, max_tokens=16)
              .choices[0].message.content for s in (1, 2, 1)]
    assert greedy[0] == greedy[1] == greedy[2]  # temperature 0 ignores the seed
    sampled = [client.chat.completions.create(model="x", messages=messages, temperature=1.5, top_p=1.0, seed=s,
                                              max_tokens=16).choices[0].message.content for s in (7, 7, 8)]
    assert sampled[0] == sampled[1]
    assert sampled[0] != sampled[2]  # a different seed samples differently (16 tokens at temperature 1.5)


def test_streaming_chunks_in_order_with_usage_last(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(model="x", messages=[{"role": "user", "content": "Stream it."}],
                                            temperature=0, max_tokens=10, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    content = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(content) >= 2
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finals) == 1 and finals[0].choices[0].finish_reason == "length"
    assert chunks.index(finals[0]) == len(chunks) - 2  # finish_reason, then usage alone
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 10
    assert all(c.usage is None for c in chunks[:-1])
    assert len({c.id for c in chunks}) == 1
    whole = client.chat.completions.create(model="x", messages=[{"role": "user", "content": "Stream it."}],
                                           temperature=0, max_tokens=10)
    assert "".join(c.choices[0].delta.content for c in content) == whole.choices[0].message.content


def test_stream_wire_format_ends_with_done(server: ServerThread) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.request("POST", "/v1/chat/completions", json.dumps({
        "model": "x", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4, "stream": True}),
        {"Content-Type": "application/json"})
    response = conn.getresponse()
    assert response.status == 200 and response.getheader("Content-Type", "").startswith("text/event-stream")
    body = response.read().decode()
    conn.close()
    events = [block for block in body.split("\n\n") if block.strip() and not block.startswith(":")]
    assert all(e.startswith("data: ") for e in events)
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(e[6:]) for e in events[:-1]]
    assert [c["choices"][0]["finish_reason"] for c in chunks][-1] == "length"
    assert "usage" not in chunks[0]  # only with stream_options.include_usage


def test_models_and_health(client: openai.OpenAI, server: ServerThread) -> None:
    models = client.models.list().data
    assert [m.id for m in models] == ["tiny-chat"]
    assert models[0].model_extra == {"vision": True, "context_length": 1024, "runs_on": "CPU"}
    assert client.models.retrieve("tiny-chat").id == "tiny-chat"
    with pytest.raises(openai.NotFoundError) as missing:
        client.models.retrieve("gpt-4o")
    assert missing.value.code == "model_not_found"
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/health")
    response = conn.getresponse()
    assert response.status == 200
    assert json.loads(response.read()) == {"status": "ok", "model": "tiny-chat", "vision": True, "in_flight": 0}
    conn.close()


def test_allowed_file_dir_serves_its_images_only(engine: LocalEngine, file_dir: object) -> None:
    from pathlib import Path

    from visiondesk.api import ServerConfig, create_app

    folder = Path(str(file_dir))
    with ServerThread(create_app(engine, ServerConfig(allow_file_dir=folder))) as s, \
            openai.OpenAI(base_url=s.base_url, api_key="unused", max_retries=0) as c:
        for url in (str(folder / "green.png"), (folder / "green.png").as_uri(), "green.png"):
            r = c.chat.completions.create(model="x", messages=[{"role": "user", "content": [
                {"type": "text", "text": "What is it?"}, image_part(url)]}], **GREEDY)
            extra = r.usage.model_extra["x_visiondesk"]  # type: ignore[union-attr,index]
            assert extra["images_encoded"] + extra["images_reused"] == 1
        (folder / "a-folder.png").mkdir(exist_ok=True)
        if not (folder / "a-pipe.png").exists():
            os.mkfifo(folder / "a-pipe.png")  # reading it would block the server for ever
        for url in ("a-folder.png", "a-pipe.png", "missing.png"):
            with pytest.raises(openai.BadRequestError) as refused:
                c.chat.completions.create(model="x", messages=[{"role": "user", "content": [
                    {"type": "text", "text": "What is it?"}, image_part(url)]}], **GREEDY)
            assert refused.value.code == "invalid_image_url" and "there is no file" in refused.value.message
        huge = folder / "huge.png"
        with huge.open("wb") as f:
            f.write(png_bytes((1, 2, 3)))
        os.truncate(huge, 3 * 10**9)  # sparse: reading it whole would take 3 GB of memory
        zero = folder / "zero.png"
        if not zero.is_symlink():
            zero.symlink_to("/dev/zero")  # endless: a reader without a bound never returns
        for url, status, words in (("huge.png", 413, "the limit is"), ("zero.png", 400, "outside the folder")):
            with pytest.raises(openai.APIStatusError) as too_much:
                c.chat.completions.create(model="x", messages=[{"role": "user", "content": [
                    {"type": "text", "text": "What is it?"}, image_part(url)]}], **GREEDY)
            assert too_much.value.status_code == status and words in too_much.value.message, too_much.value.message
        outside = folder.parent / "outside.png"
        outside.write_bytes(png_bytes((1, 2, 3)))
        for url in (str(outside), "../outside.png", outside.as_uri()):
            with pytest.raises(openai.BadRequestError) as refused:
                c.chat.completions.create(model="x", messages=[{"role": "user", "content": [
                    {"type": "text", "text": "What is it?"}, image_part(url)]}], **GREEDY)
            assert refused.value.code == "file_path_refused"
            assert "outside the folder" in refused.value.message


def test_engine_refusals_keep_the_engine_s_words(test_models: object) -> None:
    """A model without a projector: the engine's own refusal comes back as a 400 with its plain message."""
    from visiondesk.api import ServerConfig, create_app
    from visiondesk.engine import ModelSpec

    models = test_models
    with LocalEngine() as text_only:
        text_only.load(ModelSpec(model=models.model, n_ctx=512, threads=1))  # type: ignore[attr-defined]
        with ServerThread(create_app(text_only, ServerConfig())) as s, \
                openai.OpenAI(base_url=s.base_url, api_key="unused", max_retries=0) as c:
            assert c.models.list().data[0].model_extra["vision"] is False  # type: ignore[index]
            with pytest.raises(openai.BadRequestError) as refused:
                c.chat.completions.create(model="x", messages=[{"role": "user", "content": [
                    {"type": "text", "text": "What is it?"}, image_part(data_url(png_bytes((5, 5, 5))))]}], **GREEDY)
            assert refused.value.code == "invalid_input"
            assert "without a vision projector, so it cannot see images" in refused.value.message
            assert c.chat.completions.create(model="x", messages=[{"role": "user", "content": "hi"}],
                                             **GREEDY).usage.completion_tokens == 12  # type: ignore[union-attr]


def test_base64_as_clients_write_it(client: openai.OpenAI) -> None:
    """Line-wrapped (MIME), URL-safe and unpadded base64 all carry the same image."""
    png = png_bytes((123, 45, 67), size=(61, 47))  # odd sizes: the base64 needs padding
    standard = base64.b64encode(png).decode()
    assert standard.endswith("=")
    forms = [standard, "\n".join(standard[i:i + 76] for i in range(0, len(standard), 76)),
             base64.urlsafe_b64encode(png).decode().rstrip("="), "data:image/png;base64," + standard.rstrip("=")]
    answers = set()
    for i, form in enumerate(forms):
        r = client.chat.completions.create(model="x", messages=[{"role": "user", "content": [
            {"type": "text", "text": "What is it?"}, {"type": "image_url", "image_url": form}]}], **GREEDY)
        answers.add(r.choices[0].message.content)
        extra = r.usage.model_extra["x_visiondesk"]  # type: ignore[union-attr,index]
        assert (extra["images_encoded"], extra["images_reused"]) == ((1, 0) if i == 0 else (0, 1))  # same bytes
    assert len(answers) == 1


def test_without_a_model_health_says_so() -> None:
    from visiondesk.api import ServerConfig, create_app

    with LocalEngine() as idle, ServerThread(create_app(idle, ServerConfig())) as s, \
            openai.OpenAI(base_url=s.base_url, api_key="unused", max_retries=0) as c:
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
        conn.request("GET", "/health")
        response = conn.getresponse()
        assert response.status == 503 and json.loads(response.read()) == {"status": "no_model"}
        conn.close()
        assert c.models.list().data == []
        with pytest.raises(openai.InternalServerError) as refused:
            c.chat.completions.create(model="x", messages=[{"role": "user", "content": "hi"}], max_tokens=2)
        assert refused.value.status_code == 503 and refused.value.code == "model_not_loaded"


def test_a_pdf_file_part_is_read_as_its_pages(client: openai.OpenAI, tmp_path_factory: pytest.TempPathFactory) -> None:
    """OpenAI's clients send a PDF as a ``file`` part: its pages go to the model as images."""
    from tests.engine.test_pdf_pages import write_pdf

    folder = tmp_path_factory.mktemp("pdf")
    pdf = write_pdf(folder / "invoice.pdf", 2, (200, 260)).read_bytes()
    part = {"type": "file", "file": {"filename": "invoice.pdf",
                                     "file_data": "data:application/pdf;base64," + base64.b64encode(pdf).decode()}}
    r = client.chat.completions.create(model="x", messages=[{"role": "user", "content": [
        {"type": "text", "text": "What is the total?"}, part]}], **GREEDY)  # type: ignore[list-item]
    extra = r.usage.model_extra["x_visiondesk"]  # type: ignore[union-attr,index]
    assert extra["images_encoded"] + extra["images_reused"] == 2
    long = write_pdf(folder / "long.pdf", 4, (200, 260)).read_bytes()  # the server allows 3 images a request
    torn = pdf[:300]
    for data, said in ((long, "the PDF has 4 pages; this request may carry 3 more images"),
                       (torn, "Cannot read the PDF invoice.pdf: it is damaged"),
                       (png_bytes((1, 2, 3)), "not a PDF")):
        bad = {"type": "file", "file": {"filename": "invoice.pdf",
                                        "file_data": "data:application/pdf;base64," + base64.b64encode(data).decode()}}
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(model="x", messages=[{"role": "user", "content": [
                {"type": "text", "text": "Total?"}, bad]}], **GREEDY)  # type: ignore[list-item]
        assert said in str(caught.value), caught.value
    with pytest.raises(openai.BadRequestError, match="uploaded files"):
        client.chat.completions.create(model="x", messages=[{"role": "user", "content": [
            {"type": "file", "file": {"file_id": "file-abc"}}]}], **GREEDY)  # type: ignore[list-item]
