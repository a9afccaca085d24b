"""The local backend's public face: ``LocalEngine.load`` and ``LocalEngine.chat`` (a stream of typed events).

The parent process never loads llama.cpp. It checks files and images, renders the chat template
and talks to a child process over a pipe in the typed messages of ``worker/protocol.py``; the child
owns llama.cpp. A native crash there (a bad GGUF can abort or segfault) becomes an ``EngineCrashed``
error event, a child silent past its deadline (``Deadlines``) is killed and reported as
``EngineHung``, and the next request starts a new child and loads the model again.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from ..backend import ParallelRequest
from ..cancel import CancelToken
from ..errors import (
    EngineClosed,
    EngineCrashed,
    EngineFailure,
    EngineHung,
    EngineProtocolError,
    NoChatTemplate,
    NotAProjector,
    VisionDeskError,
)
from ..events import EngineEvent, Finished, Stage, StageChanged, StopReason, TextDelta
from ..gguf_header import check_pair, read_gguf_info
from ..image_plan import ImagePlan, PromptPlan, image_plan
from ..pixel_cache import PixelCache
from ..requests import ImageAttachment, ImageSource, Message, ModelSpec, SamplingParams, Tuning
from . import prepare_ahead
from .chat_template import render_prompt
from .child_process import ChildGone, ChildHung, ChildProcess, Deadlines
from .disk_cache import DiskCache
from .image_feed import ImageFeed
from .load_result import LoadResult
from .parallel_chat import chat_parallel
from .worker.protocol import (
    Alive,
    ChatJob,
    ChildMessage,
    Done,
    ErrorReply,
    InfoRequest,
    Loaded,
    LoadRequest,
    Measured,
    MeasureRequest,
    NeedPixels,
    Ok,
    ParentMessage,
    Pixels,
    PrepareState,
    Quit,
    ResetRequest,
    RestoreState,
    SaveState,
    StageReport,
    StateKept,
    SystemInfo,
    Text,
)

log = logging.getLogger(__name__)

CANCEL_GRACE_S = 0.2  # after this, a cancelled request ends even if the child is still busy
QUIT_WAIT_S = 3.0  # an idle child asked to quit gets this long before it is killed
_STAGE_WORDS = {Stage.LOADING: "loading the model", Stage.ENCODING_IMAGE: "encoding an image",
                Stage.READING_PROMPT: "reading the prompt", Stage.GENERATING: "writing the answer"}


class LocalEngine:
    """The llama.cpp ``Backend``: loads one GGUF model at a time and answers chat requests.

    Requests come from one thread at a time. ``close`` may come from any thread, also while a request
    runs: it kills the engine process by its pid, and the running request ends with a ``Finished``
    event (cancelled) or, for ``load``, ``EngineClosed``. ``deadlines`` bound every wait for the process.
    """

    def __init__(self, log_dir: Path | None = None, deadlines: Deadlines = Deadlines(),
                 pixels: PixelCache | None = None, cache: DiskCache | Callable[[], DiskCache] | None = None) -> None:
        """An engine logging its process into ``log_dir``.

        ``pixels``: where prepared pixels are shared with the engine process (the app's cache); by default
        a private temporary folder that ``close`` removes. ``cache``: where image embeddings and saved
        conversation states persist across restarts (the app's, or a function giving it at each load, so a
        new size limit applies from the next load on); None keeps nothing on disk.
        """
        self._log_dir = Path(log_dir) if log_dir else None
        self._cache = cache
        self._images = ImageFeed(pixels)
        self._deadlines = deadlines
        self._lock = threading.Lock()  # guards _child and _closed against close() from another thread
        self._child: ChildProcess | None = None
        self._closed = False
        self._spec: ModelSpec | None = None
        self._loaded: LoadResult | None = None
        self._template = ""
        self._bos = ""
        self._eos = ""
        self._next_id = 0

    # ---- process management --------------------------------------------------------------------

    @property
    def loaded(self) -> LoadResult | None:
        """The current model, or None."""
        return self._loaded

    @property
    def info(self) -> LoadResult | None:
        """What is loaded now (the ``Backend`` protocol's name for ``loaded``)."""
        return self._loaded

    @property
    def deadlines(self) -> Deadlines:
        """How long each kind of request may keep the engine process silent."""
        return self._deadlines

    @property
    def pid(self) -> int | None:
        """The child process's id while it runs."""
        child = self._child
        return child.pid if child is not None and child.alive() else None

    def _live_child(self) -> ChildProcess | None:
        child = self._child
        return child if child is not None and child.alive() else None

    def _child_for(self, tuning: Tuning) -> ChildProcess:
        """The running child if it was started with ``tuning``'s process settings, else a new one."""
        child = self._live_child()
        if child is None or child.flushes_denormals != tuning.flush_denormals:
            child = self._start(tuning)
        return child

    def _start(self, tuning: Tuning) -> ChildProcess:
        """Start a child (replacing any) and connect to it; raises ``VisionDeskError``."""
        self._discard_child()
        with self._lock:
            if self._closed:
                raise EngineClosed("starting the model process")
            child = self._child = ChildProcess.spawn(self._log_dir, tuning.flush_denormals)
        try:
            child.connect(self._deadlines.request_s)
        except (ChildGone, ChildHung) as lost:
            raise self._lost(lost, "starting the model process") from None
        return child

    def _discard_child(self) -> None:
        with self._lock:
            child, self._child = self._child, None
        if child is not None:
            child.discard()

    def _lost(self, lost: ChildGone | ChildHung, during: str) -> VisionDeskError:
        """The error for a child that died, hung or was closed; the child is gone afterwards."""
        self._discard_child()
        if self._closed:
            return EngineClosed(during)
        if isinstance(lost, ChildHung):
            log.error("engine process stopped answering for %.1f s while %s; killed", lost.waited_s, during)
            return EngineHung(during, lost.waited_s)
        log.error("engine process died (exit code %s) while %s", lost.exitcode, during)
        return EngineCrashed(lost.exitcode, during)

    def _unexpected(self, reply: ChildMessage, request: ParentMessage) -> EngineProtocolError:
        """An answer this side does not understand: the child's state is unknown, so it goes."""
        self._discard_child()
        log.error("engine process answered %r to %s", reply, type(request).__name__)
        return EngineProtocolError(f"{type(reply).__name__} in answer to {type(request).__name__}")

    def _request(self, child: ChildProcess, message: ParentMessage, during: str, deadline_s: float) -> ChildMessage:
        """Send a request and wait for its single reply; an error reply is raised."""
        child.cancel(False)
        child.busy = True
        try:
            child.send(message)
            reply = child.reply(deadline_s)
        except (ChildGone, ChildHung) as lost:
            raise self._lost(lost, during) from None
        child.busy = False
        match reply:
            case ErrorReply():
                raise reply.error()
            case _:
                return reply

    def _settle(self) -> None:
        """Let a request the caller abandoned end in the child; a child that cannot is replaced later."""
        child = self._child
        if child is None or not child.draining:
            return
        try:
            child.drain(self._deadlines.silence_s)
        except (ChildGone, ChildHung) as lost:
            log.warning("the engine process did not finish an abandoned request: %r", lost)
            self._discard_child()

    # ---- public API ----------------------------------------------------------------------------

    def load(self, spec: ModelSpec) -> LoadResult:
        """Check the files, then load them in the child process. Blocks; raises ``VisionDeskError``."""
        spec = dataclasses.replace(spec, model=Path(spec.model), mmproj=Path(spec.mmproj) if spec.mmproj else None)
        info = read_gguf_info(spec.model)
        if info.is_projector:
            raise NotAProjector(spec.model, "clip: this is a projector; pass it as the mmproj, not the model")
        projector = read_gguf_info(spec.mmproj, what="projector") if spec.mmproj else None
        if projector is not None:
            check_pair(info, projector)
        template = spec.chat_template or info.chat_template
        if not template:
            raise NoChatTemplate(spec.model)
        with self._lock:
            self._closed = False  # an explicit load after close() starts over
        self._settle()
        loaded = self._load_in(self._child_for(spec.tuning), spec)
        self._spec, self._template, self._bos, self._eos = spec, template, loaded.bos_token, loaded.eos_token
        self._images.use_projector(projector, spec.image_max_tokens)
        self._loaded = loaded.result
        return loaded.result

    def _load_in(self, child: ChildProcess, spec: ModelSpec) -> Loaded:
        request = LoadRequest(spec, self._cache() if callable(self._cache) else self._cache)
        child.model = None  # the child unloads first; a failed load leaves none
        match self._request(child, request, _STAGE_WORDS[Stage.LOADING], self._deadlines.load_s):
            case Loaded() as loaded:
                child.model = spec
                return loaded
            case other:
                raise self._unexpected(other, request)

    def system_info(self) -> dict[str, Any]:
        """llama.cpp build and devices, as the child process sees them."""
        self._settle()
        child = self._live_child() or self._start(self._spec.tuning if self._spec else Tuning())
        request = InfoRequest()
        match self._request(child, request, "reading system information", self._deadlines.request_s):
            case SystemInfo(info=info, backends=backends):
                return {**info, "backends": dataclasses.asdict(backends)}
            case other:
                raise self._unexpected(other, request)

    def plan(self, messages: Sequence[Message]) -> PromptPlan:
        """What ``messages`` will take in the context, and how each image will be read, without evaluating.

        libmtmd tokenizes each image as a chat would (resize, tiles, markers) but encodes nothing; the
        pixels come from the pixel cache (an attached image is not decoded again). Raises ``VisionDeskError``.
        """
        if self._spec is None:
            raise EngineFailure("No model is loaded: choose a model first.")
        spec = self._spec
        sources = [src for m in messages for src in m.images]
        refs, fresh = self._images.identify(sources, spec)
        files = tuple(self._images.pixel_file(i, src, refs[i], fresh, spec.image_max_pixels)
                      for i, src in enumerate(sources))
        prompt = render_prompt(self._template, messages, bos_token=self._bos, eos_token=self._eos)
        self._settle()
        child = self._live_child()
        if child is None or child.model != spec:
            child = self._child_for(spec.tuning)
            self._load_in(child, spec)
        request = MeasureRequest(prompt, tuple(refs), files)
        match self._request(child, request, "measuring the prompt",  # an image may open the projector: a load
                            self._deadlines.load_s if refs else self._deadlines.request_s):
            case Measured(layout=r):
                pass
            case other:
                raise self._unexpected(other, request)
        plans = tuple(image_plan(self._images.projector, ref.label, ref.width, ref.height, Path(file).read_bytes(), v)
                      for ref, file, v in zip(refs, files, r["images"], strict=True))
        return PromptPlan(r["prompt_tokens"], r["text_tokens"], r["n_ctx"], plans)

    def image_plan(self, source: ImageSource | ImageAttachment) -> ImagePlan:
        """How one image will be read by the loaded model: tokens, tiles and a preview."""
        return self.plan([Message.user("", source)]).images[0]

    def prepare_images(self, images: Sequence[ImageSource | ImageAttachment],
                       history: Sequence[Message] | None = None) -> None:
        """Encode ``images`` ahead of the question that will carry them, in the background; returns at once.

        With ``history`` (the conversation before that question; empty for a new one) the engine also reads
        it and the images into its context, so that the question reads only its own text. Only with a loaded
        model that has a projector (otherwise nothing happens). An answer never waits for this work
        (``worker/image_prepare.py``). Raises ``VisionDeskError`` for an image that cannot be read.
        """
        found = self._child_with_projector()
        if found is not None and images:
            template = prepare_ahead.Template(self._template, self._bos, self._eos)
            prepare_ahead.prepare(*found, self._images, images, history, template)

    def drop_prepared_images(self, images: Sequence[ImageSource | ImageAttachment]) -> None:
        """``images`` will not be sent: stop encoding them ahead and free what was (an answer's images stay)."""
        found = self._child_with_projector()
        if found is not None and images:
            prepare_ahead.drop(*found, self._images, images)

    @property
    def prepared(self) -> PrepareState:
        """The engine process's latest report on the images it encoded ahead (read now, between requests)."""
        child = self._live_child()
        if child is None:
            return PrepareState()
        return child.prepared if child.busy or child.draining else child.read_notices()

    def _child_with_projector(self) -> tuple[ChildProcess, ModelSpec] | None:
        """The engine process, between requests, and its model, if that is the current one and has a projector."""
        spec = self._spec
        if spec is None or spec.mmproj is None:
            return None
        self._settle()
        child = self._live_child()
        return (child, spec) if child is not None and child.model == spec else None

    def reset_conversation(self) -> None:
        """Forget the cached conversation (image embeddings stay cached)."""
        self._settle()
        child = self._live_child()
        if child is None or child.model is None:
            return
        request = ResetRequest()
        match self._request(child, request, "resetting", self._deadlines.request_s):
            case Ok():
                return
            case other:
                raise self._unexpected(other, request)

    def save_state(self, conversation: str) -> int:
        """Save the active conversation's KV cache as ``conversation``'s (when the user leaves it or quits).

        Returns the positions saved (0: nothing, e.g. no disk cache or an empty conversation). After a
        restart, ``restore_state(conversation)`` brings it back, and a follow-up reads only its new turn.
        """
        return self._keep_state(SaveState(conversation), "saving the conversation")

    def restore_state(self, conversation: str) -> int:
        """Make ``conversation``'s saved state the active conversation, if one was saved for this model.

        Returns the positions restored (0: none; a stale or damaged state is deleted, never used). The next
        ``chat`` reuses exactly the tokens its prompt shares with the saved ones.
        """
        return self._keep_state(RestoreState(conversation), "restoring a conversation")

    def _keep_state(self, request: SaveState | RestoreState, during: str) -> int:
        self._settle()
        child = self._live_child()
        if child is None or child.model is None:
            return 0
        match self._request(child, request, during, self._deadlines.load_s):
            case StateKept(positions=positions):
                return positions
            case other:
                raise self._unexpected(other, request)

    def chat(self, messages: Sequence[Message], sampling: SamplingParams = SamplingParams(),
             cancel: CancelToken | None = None) -> Iterator[EngineEvent]:
        """Answer the conversation's last user message as a stream of events ending in ``Finished``."""
        t0 = time.monotonic()
        cancel = cancel or CancelToken()
        stage = Stage.READING_PROMPT
        try:
            if self._spec is None:
                raise EngineFailure("No model is loaded: choose a model first.")
            spec = self._spec
            sources = [src for m in messages for src in m.images]
            refs, fresh = self._images.identify(sources, spec)  # fresh: the images decoded for this request
            prompt = render_prompt(self._template, messages, bos_token=self._bos, eos_token=self._eos)
            self._settle()
            child = self._live_child()
            if child is None or child.model != spec:  # restarted, or started without the model (system_info)
                stage = Stage.LOADING
                yield StageChanged(Stage.LOADING, time.monotonic())
                child = self._child_for(spec.tuning)
                self._load_in(child, spec)
        except VisionDeskError as exc:  # EngineClosed too: a request after close() is an error, not a cancel
            yield self._finished(StopReason.ERROR, exc)
            return
        self._next_id += 1
        job = ChatJob(self._next_id, prompt, tuple(refs), sampling)
        child.cancel(False)
        child.busy = True
        finished = False
        first_text: float | None = None
        silence_s = self._deadlines.silence_s
        try:
            child.send(job)
            heard = time.monotonic()  # the last message, or the caller handing control back
            while True:
                if cancel.cancelled:
                    child.cancel()
                    asked = cancel.cancelled_at or time.monotonic()
                    if time.monotonic() - asked > CANCEL_GRACE_S:
                        child.draining = True
                        finished = True
                        yield self._finished(StopReason.CANCELLED)
                        return
                msg = child.receive(0.01)
                now = time.monotonic()
                if msg is None:
                    if now - heard > silence_s:
                        raise ChildHung(silence_s)
                    continue
                match msg:
                    case Alive():  # long native work goes on: the silence counts from here
                        pass
                    case Text(text=text):
                        if first_text is None:
                            first_text = now
                        yield TextDelta(text, now)
                    case NeedPixels(indices=indices):
                        try:
                            pixels = {i: self._images.pixel_file(i, sources[i], refs[i], fresh, spec.image_max_pixels)
                                      for i in indices}
                        except VisionDeskError as exc:
                            child.send(Pixels(None))
                            child.draining = True
                            finished = True
                            yield self._finished(StopReason.ERROR, exc)
                            return
                        child.send(Pixels(pixels))
                    case StageReport(stage=stage, index=index, total=total):
                        yield StageChanged(stage, now, index, total)
                    case Done(stop_reason=reason, usage=usage, timings=timings):
                        finished = True
                        child.busy = False
                        ttft = ((first_text or now) - t0) * 1000.0
                        yield Finished(reason, now, usage=usage, timings=dataclasses.replace(timings, ttft_ms=ttft),
                                       backend=self._backend(), gpu_layers=self._gpu_layers())
                        return
                    case ErrorReply():
                        finished = True
                        child.busy = False
                        yield self._finished(StopReason.ERROR, msg.error())
                        return
                    case _:
                        finished = True
                        yield self._finished(StopReason.ERROR, self._unexpected(msg, job))
                        return
                heard = time.monotonic()
        except (ChildGone, ChildHung) as lost:
            finished = True
            error = self._lost(lost, _STAGE_WORDS[stage])
            if isinstance(error, EngineClosed):
                yield self._finished(StopReason.CANCELLED)
            else:
                yield self._finished(StopReason.ERROR, error)
        finally:
            if not finished and child is self._child and child.alive():  # the caller stopped iterating
                child.cancel()
                child.draining = True

    @property
    def parallel_slots(self) -> int:
        """Requests the loaded model answers at once (``ModelSpec.parallel``; 1 when none is loaded)."""
        return self._loaded.parallel if self._loaded else 1

    def chat_parallel(self, requests: Iterable[ParallelRequest],
                      cancel: CancelToken | None = None) -> Iterator[tuple[int, EngineEvent]]:
        """Answer many requests at once in the parallel slots: ``(key, event)`` pairs, one ``Finished`` each."""
        return chat_parallel(self, requests, cancel)

    def _backend(self) -> str:
        return self._loaded.backend if self._loaded else ""

    def _gpu_layers(self) -> int:
        return self._loaded.gpu_layers if self._loaded else 0

    def _finished(self, reason: StopReason, error: VisionDeskError | None = None) -> Finished:
        return Finished(reason, time.monotonic(), error=error, backend=self._backend(), gpu_layers=self._gpu_layers())

    def close(self) -> None:
        """Stop any request and the child process. Safe from any thread, also while a request runs.

        An idle child is asked to quit; a busy one is killed by its pid (never through the pipe a
        running request reads). A streaming answer then ends with a cancelled ``Finished`` event; a
        ``load`` raises ``EngineClosed``, and so do requests made after ``close`` (a chat as an error
        event), until a ``load`` starts a new child.
        """
        with self._lock:
            self._closed = True
            child = self._child
        self._images.close()
        if child is None:
            return
        if child.busy or child.draining or not child.alive():
            child.kill()
        else:
            child.cancel()
            child.quit(Quit(), QUIT_WAIT_S)
        with self._lock:
            if self._child is child:
                self._child = None
        child.discard()

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
