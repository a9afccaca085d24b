"""``POST /v1/chat/completions``: check the request, queue it for the engine, answer whole or as SSE chunks.

A streamed answer starts only once the engine produced its first text (or ended): an image the engine
cannot read, or a conversation longer than the context, is still a plain 400. A client that goes away
cancels its request: before the stream starts through a task that watches for the disconnect, after
it through the SSE response's own watcher, which cancels the chunk generator.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from visiondesk.engine import CancelToken, EngineEvent, Finished, StopReason, TextDelta

from . import openai_shapes as shapes
from .chat_request import ChatRequest, parse_chat_request, parse_json
from .engine_queue import Generation
from .errors import SERVER_ERROR, ApiError, from_engine
from .request_log import RequestRecord

if TYPE_CHECKING:
    from .server_state import ServerState

INLINE_PARSE_BYTES = 64 * 1024  # larger bodies (images) are parsed off the event loop
SSE_PING_S = 15


async def chat_completions(request: Request) -> Response:
    """``POST /v1/chat/completions``: a whole answer, or SSE chunks with ``stream: true``."""
    state: ServerState = request.app.state.visiondesk
    arrived, client = time.time(), _client(request)
    try:
        info = state.backend.info
        if info is None:
            raise ApiError(503, "No model is loaded yet.", code="model_not_loaded", type_=SERVER_ERROR)
        body = await read_body(request, state.config.limits.max_body_bytes)
        parse = _parser(body, state)
        parsed = parse() if len(body) <= INLINE_PARSE_BYTES else await run_in_threadpool(parse)
        generation = state.queue.submit(parsed.messages, parsed.sampling, _recorder(state, arrived, client, parsed))
    except ApiError as exc:
        state.log.add(RequestRecord(arrived, client, exc.code, exc.status, message=exc.message))
        raise
    watcher = asyncio.create_task(_cancel_when_client_leaves(request, generation.cancel))
    try:
        if parsed.stream:
            first = await _first_output(generation)
        else:
            text, final = await _whole_answer(generation)
    except asyncio.CancelledError:
        generation.cancel.cancel()
        raise
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    model = info.model_name
    if parsed.stream:
        if isinstance(first, Finished) and first.error is not None:
            raise from_engine(first.error)
        return EventSourceResponse(_chunks(generation, first, model, parsed.include_usage), sep="\n",
                                   ping=SSE_PING_S)
    if final.error is not None:
        raise from_engine(final.error)
    if final.stop_reason is StopReason.CANCELLED:  # nobody reads this: the client has gone
        return ApiError(499, "The request was cancelled.", code="cancelled").response()
    return JSONResponse(shapes.completion(shapes.completion_id(), model, text, final, _queued_ms(generation)))


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with a 413 as soon as it is known to pass ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    try:
        async for piece in request.stream():
            size += len(piece)
            if size > limit:
                raise _too_large(size, limit)
            chunks.append(piece)
    except ClientDisconnect:
        raise ApiError(400, "The client went away while sending the request.", code="client_disconnected") from None
    return b"".join(chunks)


def _too_large(size: int, limit: int) -> ApiError:
    return ApiError(413, f"The request body is {size:,} bytes or more; the limit is {limit:,}. Send smaller or "
                    "fewer images.", code="request_too_large")


def _parser(body: bytes, state: ServerState) -> Callable[[], ChatRequest]:
    info = state.backend.info
    assert info is not None
    config = state.config
    return lambda: parse_chat_request(parse_json(body), info, config.limits, config.allow_file_dir)


async def _cancel_when_client_leaves(request: Request, cancel: CancelToken) -> None:
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            cancel.cancel()
            return


async def _first_output(generation: Generation) -> TextDelta | Finished:
    while True:
        event = await generation.next_event()
        if isinstance(event, TextDelta | Finished):
            return event


async def _whole_answer(generation: Generation) -> tuple[str, Finished]:
    parts: list[str] = []
    async for event in generation.events():
        if isinstance(event, TextDelta):
            parts.append(event.text)
        elif isinstance(event, Finished):
            return "".join(parts), event
    raise AssertionError("the event stream ended without Finished")


async def _chunks(generation: Generation, first: EngineEvent, model: str,
                  include_usage: bool) -> AsyncIterator[dict[str, str]]:
    cid, created = shapes.completion_id(), int(time.time())
    done = False
    try:
        yield _data(shapes.chunk(cid, created, model, {"role": "assistant", "content": ""}, None, include_usage))
        event = first
        while True:
            if isinstance(event, TextDelta):
                yield _data(shapes.chunk(cid, created, model, {"content": event.text}, None, include_usage))
            elif isinstance(event, Finished):
                done = True
                if event.error is not None:  # the status line has gone: report it as OpenAI does, in the stream
                    yield _data(from_engine(event.error).body())
                elif event.stop_reason is not StopReason.CANCELLED:
                    reason = shapes.finish_reason(event)
                    yield _data(shapes.chunk(cid, created, model, {}, reason, include_usage))
                    if include_usage:
                        yield _data(shapes.usage_chunk(cid, created, model, event, _queued_ms(generation)))
                    yield {"data": "[DONE]"}
                return
            event = await generation.next_event()
    finally:
        if not done:  # the client went away (the response cancelled us) or the server is stopping
            generation.cancel.cancel()


def _data(body: dict[str, Any]) -> dict[str, str]:
    return {"data": json.dumps(body, ensure_ascii=False, separators=(",", ":"))}


def _queued_ms(generation: Generation) -> float:
    return ((generation.started_at or generation.queued_at) - generation.queued_at) * 1000.0


def _client(request: Request) -> str:
    return f"{request.client.host}:{request.client.port}" if request.client else "?"


def _recorder(state: ServerState, arrived: float, client: str, parsed: ChatRequest) -> Callable[[Generation], None]:
    """What the engine's thread records once a request has ended."""

    def record(generation: Generation) -> None:
        final = generation.finished
        assert final is not None
        if final.error is not None:
            error = from_engine(final.error)
            outcome, message = error.code, error.message
            status = 200 if parsed.stream and generation.texts else error.status
        elif final.stop_reason is StopReason.CANCELLED:
            outcome, message, status = "cancelled", "", 0
        else:
            outcome, message, status = shapes.finish_reason(final), "", 200
        u = final.usage
        state.log.add(RequestRecord(
            arrived, client, outcome, status, stream=parsed.stream, images=parsed.image_count,
            prompt_tokens=u.prompt_tokens, prompt_tokens_evaluated=u.prompt_tokens_evaluated,
            completion_tokens=u.completion_tokens, images_encoded=u.images_encoded, images_reused=u.images_reused,
            queued_ms=_queued_ms(generation), total_ms=(time.time() - arrived) * 1000.0, message=message,
            cancel_asked_at=generation.cancel.cancelled_at, ended_at=final.t))

    return record
