"""``RemoteBackend``: the ``Backend`` for OpenAI-compatible servers (vLLM, Ollama, llama-server, LM Studio...).

It sends only to servers in the ``ServerStore`` (``ServerNotAdded`` otherwise), streams with the ``openai``
client, and yields the same events as the local engine. Retries (with backoff) happen only before the
first token: after it, a retry would repeat text the user has already seen.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Generator, Iterator, Sequence

import openai

from ..backend import BackendInfo
from ..cancel import CancelToken
from ..errors import VisionDeskError
from ..events import EngineEvent, Finished, Stage, StageChanged, StopReason, TextDelta
from ..requests import ImageAttachment, ImageSource, Message, SamplingParams
from ..structured import checked_answers
from .connection import Connection, error_detail, map_error
from .errors import (
    KeyMissing,
    MalformedChunk,
    ModelNotFound,
    NoServerModel,
    OneImagePerPrompt,
    RateLimited,
    RequestRejected,
    ServerFailed,
    ServerTimeout,
    ServerUnreachable,
    StreamCutOff,
    VisionNotSupported,
)
from .keys import KeyStore
from .payload import chat_messages, image_positions, sampling_kwargs
from .privacy import host_of, remote_host
from .probe import RemoteModel, ServerKind, describe_server
from .progress import Progress
from .servers import ServerStore
from .target import KeyRef, RemoteTarget
from .upload_images import UploadCache, UploadImage
from .watchdog import Watchdog

log = logging.getLogger(__name__)

POLL_S = 0.02  # how often a retry's wait looks at the cancel token
BACKOFF_S = 0.5  # first retry delay; doubles each attempt
MAX_RETRY_WAIT_S = 30.0  # a 429 asking for longer is reported, not waited for

class RemoteBackend:
    """Connect to a model on a server the user added; chat with it as with the local engine."""

    def __init__(self, servers: ServerStore, keys: KeyStore | None = None) -> None:
        self._servers = servers
        self._keys = keys or servers.keys
        self._conn: Connection | None = None
        self._info: BackendInfo | None = None
        self._model: RemoteModel | None = None
        self._kind: ServerKind | None = None
        self._uploads = UploadCache()

    @property
    def info(self) -> BackendInfo | None:
        """What is connected now, or None."""
        return self._info

    @property
    def server_kind(self) -> ServerKind | None:
        """Which server program answers (vLLM, Ollama...), once connected."""
        return self._kind

    def load(self, target: RemoteTarget) -> BackendInfo:
        """Connect to ``target``: the server must be added, reachable, accept the key and have the model."""
        self._servers.require(target.base_url)
        conn = Connection(target, self._api_key(target.key))
        try:
            kind, models = describe_server(conn)
        except openai.APIError as exc:
            conn.close()
            raise map_error(exc, target, conn.has_key, 0) from exc
        by_id = {m.id: m for m in models}
        model = by_id.get(target.model) or by_id.get(f"{target.model}:latest")  # Ollama's default tag
        if model is None:
            conn.close()
            raise ModelNotFound(target.model, target.api_url, [m.id for m in models])
        self.close()
        self._conn, self._model, self._kind = conn, model, kind
        host = remote_host(target.api_url)
        where = f"remote: {host}" if host else f"this computer: {host_of(target.api_url)}"
        self._info = BackendInfo(model_name=model.id, vision=model.vision, n_ctx=model.n_ctx,
                                 runs_on=f"{where} ({kind})", remote_host=host)
        log.info("connected to %s on %s (%s, vision %s)", model.id, target.api_url, kind, model.vision)
        return self._info

    def _api_key(self, ref: KeyRef | None) -> str | None:
        if ref is None:
            return None
        if ref.source == "env":
            value = os.environ.get(ref.name)
            if not value:
                raise KeyMissing(ref.name)
            return value
        key = self._keys.get(ref.name)
        if not key:
            raise KeyMissing()
        return key

    def prepare_images(self, images: Sequence[ImageSource | ImageAttachment],
                       history: Sequence[Message] | None = None) -> None:
        """Nothing to do ahead: the server sees an image only with the question that carries it."""

    def drop_prepared_images(self, images: Sequence[ImageSource | ImageAttachment]) -> None:
        """Nothing was prepared."""

    def reset_conversation(self) -> None:
        """Nothing to forget: servers keep no conversation between requests (encoded images stay cached)."""

    def close(self) -> None:
        """Cut any running request and close the connection (any thread)."""
        conn, self._conn = self._conn, None
        self._info = None
        if conn is not None:
            conn.close()

    def chat(self, messages: Sequence[Message], sampling: SamplingParams = SamplingParams(),
             cancel: CancelToken | None = None) -> Iterator[EngineEvent]:
        """Answer the conversation's last user message as a stream of events ending in ``Finished``.

        With a ``response_format`` the server is asked for it, and an answer that does not parse and
        validate ends with an ``AnswerInvalid`` error (not every server enforces the schema).
        """
        events = self._chat(messages, sampling, cancel)
        if sampling.response_format is None:
            return events
        return checked_answers(events, sampling.response_format)

    def _chat(self, messages: Sequence[Message], sampling: SamplingParams,
              cancel: CancelToken | None) -> Iterator[EngineEvent]:
        t0 = time.monotonic()
        cancel = cancel or CancelToken()
        conn, model = self._conn, self._model
        try:
            if conn is None or model is None:
                raise NoServerModel()
            target = conn.target
            self._servers.require(target.base_url)  # it may have been removed since load
            positions = image_positions(messages)
            if positions and model.vision is False:
                raise VisionNotSupported(model.id, target.api_url)
            if target.newest_image_only:
                positions = positions[-1:]
            elif model.one_image_per_prompt and len(positions) > 1:
                raise OneImagePerPrompt(model.id, len(positions))
            uploads: dict[tuple[int, int], UploadImage] = {}
            for n, (i, j) in enumerate(positions, 1):
                if cancel.cancelled:
                    yield Finished(StopReason.CANCELLED, time.monotonic(), backend="remote")
                    return
                upload, cached = self._uploads.get(messages[i].images[j], target.image_long_side)
                if not cached:
                    yield StageChanged(Stage.ENCODING_IMAGE, time.monotonic(), n, len(positions))
                uploads[(i, j)] = upload
            kwargs = {"model": model.id, "messages": chat_messages(messages, uploads),
                      **sampling_kwargs(sampling, self._kind)}
        except VisionDeskError as exc:
            yield Finished(StopReason.ERROR, time.monotonic(), error=exc, backend="remote")
            return
        encode_ms = (time.monotonic() - t0) * 1000.0
        yield StageChanged(Stage.READING_PROMPT, time.monotonic())
        attempt = 0
        while True:
            outcome = yield from self._stream(conn, kwargs, len(uploads), t0, encode_ms, cancel)
            if isinstance(outcome, Finished):
                self._learn_vision(uploads, outcome)
                yield outcome
                return
            if self._conn is not conn:  # closed (or switched) from another thread meanwhile
                yield Finished(StopReason.CANCELLED, time.monotonic(), backend="remote")
                return
            wait = self._retry_wait(outcome, attempt, target.retries)
            if wait is None:
                final = Finished(StopReason.ERROR, time.monotonic(), error=outcome, backend="remote")
                self._learn_vision(uploads, final)
                yield final
                return
            attempt += 1
            log.info("retrying %s in %.1f s (attempt %d): %s", target.api_url, wait, attempt + 1, outcome)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if cancel.cancelled:
                    yield Finished(StopReason.CANCELLED, time.monotonic(), backend="remote")
                    return
                time.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))

    def _learn_vision(self, uploads: dict[tuple[int, int], UploadImage], finished: Finished) -> None:
        """Where the server did not say whether the model sees images, the first image tells."""
        model, info = self._model, self._info
        if not uploads or model is None or info is None or model.vision is not None:
            return
        if finished.stop_reason in (StopReason.END, StopReason.LENGTH):
            vision = True
        elif isinstance(finished.error, VisionNotSupported):
            vision = False
        else:
            return
        self._model = dataclasses.replace(model, vision=vision)
        self._info = dataclasses.replace(info, vision=vision)

    @staticmethod
    def _retry_wait(error: VisionDeskError, attempt: int, retries: int) -> float | None:
        """Seconds to wait before retrying after ``error`` (which came before any token), or None: do not."""
        if attempt >= retries:
            return None
        backoff = BACKOFF_S * float(2 ** attempt)
        if isinstance(error, RateLimited):
            asked: float | None = error.retry_after_s
            wait = asked if asked is not None else backoff
            return wait if wait <= MAX_RETRY_WAIT_S else None
        if isinstance(error, ServerFailed) and error.status in (None, 500, 502, 503, 504):
            return backoff
        if isinstance(error, ServerUnreachable | StreamCutOff):
            return backoff
        return None

    def _stream(self, conn: Connection, kwargs: dict[str, object], n_images: int, t0: float, encode_ms: float,
                cancel: CancelToken) -> Generator[EngineEvent, None, Finished | VisionDeskError]:
        """One attempt. Yields events; returns a ``Finished`` to end with, or an error that came before any token."""
        target = conn.target
        dog = Watchdog(conn, cancel, target.timeouts)
        dog.start()
        p = Progress(target.api_url, t0, dog.started_at, encode_ms, n_images, last=dog.started_at)
        stream = None
        done = False
        try:
            stream = conn.client.chat.completions.create(stream=True, **kwargs)  # type: ignore[call-overload]
            for chunk in stream:
                now = time.monotonic()
                dog.chunk(now)
                if cancel.cancelled:
                    break
                had_chunk = p.first_chunk is not None
                text = p.read(chunk, now)
                dog.paused = True
                if not had_chunk:
                    yield StageChanged(Stage.GENERATING, now)
                if text:
                    yield TextDelta(text, now)
                dog.resume()
            done = True
            if cancel.cancelled:
                conn.abort()  # the server stops generating when it sees the connection close
                return p.finished(StopReason.CANCELLED)
            if p.finish is not None:
                return p.finished()
            cut = StreamCutOff(target.api_url, p.chars)
            return cut if p.first_text is None else p.finished(StopReason.ERROR, cut)
        except MalformedChunk as exc:
            done = True
            conn.abort()
            return p.finished(StopReason.ERROR, exc)
        except Exception as exc:  # noqa: BLE001 - whatever the client raised is typed below
            done = True
            if dog.reason == "cancelled" or cancel.cancelled or self._conn is not conn:
                return p.finished(StopReason.CANCELLED)  # cancelled, or the backend closed from another thread
            if dog.reason is not None:
                phase = "waiting for the first token" if dog.reason == "first byte" else "in the middle of the answer"
                return p.finished(StopReason.ERROR, ServerTimeout(target.api_url, phase, dog.limit))
            conn.abort()
            if p.finish is not None:  # the answer was complete; only the usage chunk was lost
                return p.finished()
            err = self._failure(conn, exc, p)
            if p.first_text is None and not isinstance(err, MalformedChunk):
                return err
            return p.finished(StopReason.ERROR, err)
        finally:
            dog.stop()
            if not done:  # the caller stopped iterating: stop the server too
                conn.abort()
            if stream is not None:
                stream.close()

    def _failure(self, conn: Connection, error: BaseException, p: Progress) -> VisionDeskError:
        """The typed error for what the request or the stream raised."""
        if isinstance(error, openai.NotFoundError):
            return self._not_found(conn, error)
        err = map_error(error, conn.target, conn.has_key, p.n_images)
        if p.first_chunk is not None and isinstance(err, ServerUnreachable):
            return StreamCutOff(conn.target.api_url, p.chars)  # it was reached: the answer broke off
        return err

    @staticmethod
    def _not_found(conn: Connection, exc: openai.NotFoundError) -> VisionDeskError:
        """A 404 while chatting: the model went away (the list says what the server has now), or the address."""
        try:
            _, models = describe_server(conn)
        except openai.APIError:
            models = []
        ids = [m.id for m in models]
        if conn.target.model in ids:
            return RequestRejected(conn.target.api_url, 404, f"{error_detail(exc)}. The server has no chat endpoint "
                                   f"at {conn.target.api_url}/chat/completions; check the address (it usually "
                                   "ends in /v1).")
        return ModelNotFound(conn.target.model, conn.target.api_url, ids)
