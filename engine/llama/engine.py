"""The local backend's public face: ``LocalEngine.load`` and ``LocalEngine.chat`` (a stream of typed events).

The parent process never loads llama.cpp. It checks files and images, renders the chat template
and talks to a child process over a pipe in the typed messages of ``worker/protocol.py``; the child
owns llama.cpp. A native crash there (a bad GGUF can abort or segfault) becomes an ``EngineCrashed``
error event, a child silent past its deadline (``Deadlines``) is killed and reported as
``EngineHung``, and the next request starts a new child and loads the model again.

``LocalEngine`` holds the loaded model's state and the single-reply requests; the process itself is
``child_link.ChildLink``, a streamed answer ``chat_stream``, many at once ``parallel_chat``, images
encoded ahead ``prepare_ahead``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from ..backend import ParallelRequest
from ..cancel import CancelToken
from ..errors import EngineFailure, NoChatTemplate, NotAProjector, VisionDeskError
from ..events import EngineEvent, Finished, Stage, StopReason
from ..gguf_header import check_pair, read_gguf_info
from ..image_plan import ImagePlan, PromptPlan, image_plan
from ..pixel_cache import PixelCache
from ..requests import ImageAttachment, ImageSource, Message, ModelSpec, SamplingParams, Tuning
from . import prepare_ahead
from .chat_stream import STAGE_WORDS, chat_stream
from .chat_template import render_prompt
from .child_link import ChildLink
from .child_process import ChildProcess, Deadlines
from .disk_cache import DiskCache
from .image_feed import ImageFeed
from .load_result import LoadResult
from .parallel_chat import chat_parallel
from .worker.protocol import (
    InfoRequest,
    Loaded,
    LoadRequest,
    Measured,
    MeasureRequest,
    Ok,
    PrepareState,
    ResetRequest,
    RestoreState,
    SaveState,
    StateKept,
    SystemInfo,
)


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
        self._link = ChildLink(Path(log_dir) if log_dir else None, deadlines)
        self._cache = cache
        self._images = ImageFeed(pixels)
        self._spec: ModelSpec | None = None
        self._loaded: LoadResult | None = None
        self._template = ""
        self._bos = ""
        self._eos = ""
        self._next_id = 0

    # ---- the engine process ----------------------------------------------------------------------

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
        return self._link.deadlines

    @property
    def pid(self) -> int | None:
        """The child process's id while it runs."""
        child = self._link.live()
        return child.pid if child is not None else None

    def _child_with(self, spec: ModelSpec) -> ChildProcess:
        """The engine process, between requests, with ``spec`` loaded (started and loaded if need be)."""
        self._link.settle()
        child = self._link.live()
        if child is None or child.model != spec:  # restarted, or started without the model (system_info)
            child = self._link.for_tuning(spec.tuning)
            self._load_in(child, spec)
        return child

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
        self._link.reopen()  # an explicit load after close() starts over
        self._link.settle()
        loaded = self._load_in(self._link.for_tuning(spec.tuning), spec)
        self._spec, self._template, self._bos, self._eos = spec, template, loaded.bos_token, loaded.eos_token
        self._images.use_projector(projector, spec.image_max_tokens)
        self._loaded = loaded.result
        return loaded.result

    def _load_in(self, child: ChildProcess, spec: ModelSpec) -> Loaded:
        request = LoadRequest(spec, self._cache() if callable(self._cache) else self._cache)
        child.model = None  # the child unloads first; a failed load leaves none
        match self._link.request(child, request, STAGE_WORDS[Stage.LOADING], self.deadlines.load_s):
            case Loaded() as loaded:
                child.model = spec
                return loaded
            case other:
                raise self._link.unexpected(other, request)

    def system_info(self) -> dict[str, Any]:
        """llama.cpp build and devices, as the child process sees them."""
        self._link.settle()
        child = self._link.live() or self._link.start(self._spec.tuning if self._spec else Tuning())
        request = InfoRequest()
        match self._link.request(child, request, "reading system information", self.deadlines.request_s):
            case SystemInfo(info=info, backends=backends):
                return {**info, "backends": dataclasses.asdict(backends)}
            case other:
                raise self._link.unexpected(other, request)

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
        child = self._child_with(spec)
        request = MeasureRequest(prompt, tuple(refs), files)
        match self._link.request(child, request, "measuring the prompt",  # an image may open the projector: a load
                                 self.deadlines.load_s if refs else self.deadlines.request_s):
            case Measured(layout=r):
                pass
            case other:
                raise self._link.unexpected(other, request)
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

    def forget_images(self, digests: Sequence[str]) -> None:
        """Pictures deleted for good (pixel digests): the engine process forgets what it derived from them.

        Their embeddings, and its cached conversation if that holds any; returns at once. Without an engine
        process there is nothing to forget.
        """
        self._link.settle()  # a stopped answer ends first, its cancel flag still up (the message lowers it)
        child = self._link.live()
        if child is not None and digests:
            prepare_ahead.forget(child, digests)

    @property
    def prepared(self) -> PrepareState:
        """The engine process's latest report on the images it encoded ahead (read now, between requests)."""
        child = self._link.live()
        if child is None:
            return PrepareState()
        return child.prepared if child.busy or child.draining else child.read_notices()

    def _child_with_projector(self) -> tuple[ChildProcess, ModelSpec] | None:
        """The engine process, between requests, and its model, if that is the current one and has a projector."""
        spec = self._spec
        if spec is None or spec.mmproj is None:
            return None
        self._link.settle()
        child = self._link.live()
        return (child, spec) if child is not None and child.model == spec else None

    def reset_conversation(self) -> None:
        """Forget the cached conversation (image embeddings stay cached)."""
        self._link.settle()
        child = self._link.live()
        if child is None or child.model is None:
            return
        request = ResetRequest()
        match self._link.request(child, request, "resetting", self.deadlines.request_s):
            case Ok():
                return
            case other:
                raise self._link.unexpected(other, request)

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
        self._link.settle()
        child = self._link.live()
        if child is None or child.model is None:
            return 0
        match self._link.request(child, request, during, self.deadlines.load_s):
            case StateKept(positions=positions):
                return positions
            case other:
                raise self._link.unexpected(other, request)

    def chat(self, messages: Sequence[Message], sampling: SamplingParams = SamplingParams(),
             cancel: CancelToken | None = None) -> Iterator[EngineEvent]:
        """Answer the conversation's last user message as a stream of events ending in ``Finished``."""
        return chat_stream(self, messages, sampling, cancel)

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
        self._link.close()
        self._images.close()

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
