"""The local backend's public face: ``LocalEngine.load`` and ``LocalEngine.chat`` (a stream of typed events).

The parent process never loads llama.cpp. It checks files and images, renders the chat template
and talks to a child process over a pipe; the child owns llama.cpp. A native crash there (a bad
GGUF can abort or segfault) becomes an ``EngineCrashed`` error event, and the next request starts
a new child and loads the model again.
"""

from __future__ import annotations

import ast
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Client
from pathlib import Path
from types import TracebackType
from typing import Any

from ..cancel import CancelToken
from ..errors import (
    EngineCrashed,
    EngineFailure,
    ImageError,
    ImagesNeedProjector,
    NoChatTemplate,
    NotAProjector,
    VisionDeskError,
    rebuild,
)
from ..events import EngineEvent, Finished, Stage, StageChanged, StopReason, TextDelta, Timings, Usage
from ..gguf_header import check_pair, read_gguf_info
from ..images import PreparedImage, prepare_image
from ..pixel_cache import PixelCache
from ..requests import ImageAttachment, ImageSource, Message, ModelSpec, SamplingParams
from .chat_template import render_prompt
from .image_cache import ImageIdentityCache, ImageRef, as_source
from .load_result import LoadResult
from .worker.cancel_flag import CancelFlag
from .worker.protocol import ChatJob

log = logging.getLogger(__name__)

PRIVATE_PIXEL_BYTES = 512 * 1024**2  # the private pixel folder of an engine given none (the command line)
CANCEL_GRACE_S = 0.2  # after this, a cancelled request ends even if the child is still busy
_STAGE_WORDS = {Stage.LOADING: "loading the model", Stage.ENCODING_IMAGE: "encoding an image",
                Stage.READING_PROMPT: "reading the prompt", Stage.GENERATING: "writing the answer"}


class _ChildDied(Exception):
    def __init__(self, exitcode: int | None) -> None:
        super().__init__(exitcode)
        self.exitcode = exitcode


class LocalEngine:
    """The llama.cpp ``Backend``: loads one GGUF model at a time and answers chat requests; one thread at a time."""

    def __init__(self, log_dir: Path | None = None, pixels: PixelCache | None = None) -> None:
        """An engine that logs its child process into ``log_dir``.

        ``pixels``: where prepared pixels are shared with the engine process (the app's cache); by default a
        private temporary folder, removed by ``close``.
        """
        self._log_dir = str(log_dir) if log_dir else None
        self._own_pixels = tempfile.TemporaryDirectory(prefix="visiondesk-pixels-") if pixels is None else None
        self._pixel_cache = pixels or PixelCache(Path(self._own_pixels.name) if self._own_pixels else Path(),
                                                 PRIVATE_PIXEL_BYTES)
        self._proc: Any = None
        self._conn: Any = None
        self._flag: Any = None
        self._spec: ModelSpec | None = None
        self._loaded: LoadResult | None = None
        self._template = ""
        self._bos = ""
        self._eos = ""
        self._draining = False
        self._next_id = 0
        self._image_ids = ImageIdentityCache()

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
    def pid(self) -> int | None:
        """The child process's id while it runs."""
        return int(self._proc.pid) if self._alive() else None

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _start(self) -> None:
        """Start the child: it listens on a local socket and prints the address; we connect."""
        self._discard_process()
        self._flag = CancelFlag.create()
        key = os.urandom(32)
        env = {**os.environ, "VISIONDESK_ENGINE_AUTHKEY": key.hex()}
        stderr: Any = subprocess.DEVNULL
        if self._log_dir:
            Path(self._log_dir).mkdir(parents=True, exist_ok=True)
            stderr = open(Path(self._log_dir) / "engine-stderr.log", "ab")  # noqa: SIM115 - child owns it
        child = ["--visiondesk-engine-child"] if getattr(sys, "frozen", False) else \
            ["-m", "visiondesk.engine.llama.worker.child"]  # a frozen app re-runs itself (see visiondesk.cli)
        cmd = [sys.executable, *child, str(self._flag.path), self._log_dir or ""]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr,
                                      env=env)
        if stderr is not subprocess.DEVNULL:
            stderr.close()
        line = self._proc.stdout.readline()
        if not line:
            code = self._proc.wait(5)
            raise EngineCrashed(code, "starting the model process")
        self._conn = Client(ast.literal_eval(line.decode().strip()), authkey=key)
        self._proc.stdout.close()
        self._draining = False
        log.info("engine process %s started", self._proc.pid)

    def _discard_process(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            try:
                self._proc.wait(2)
            except subprocess.TimeoutExpired:
                log.warning("engine process %s did not exit", self._proc.pid)
        if self._flag is not None:
            self._flag.close()
        self._proc = self._conn = self._flag = None

    def _receive(self, timeout: float = 0.01) -> tuple[Any, ...] | None:
        """A message if one arrives within ``timeout``; raises ``_ChildDied``."""
        try:
            if self._conn.poll(timeout):
                msg: tuple[Any, ...] = self._conn.recv()
                return msg
        except (EOFError, OSError):
            pass
        else:
            if self._proc.poll() is None:
                return None
        try:
            code = self._proc.wait(2)
        except subprocess.TimeoutExpired:
            code = None
        raise _ChildDied(code)

    def _send(self, message: tuple[Any, ...]) -> None:
        """Send to the child; a broken pipe means it died (between requests, too)."""
        try:
            self._conn.send(message)
        except (OSError, EOFError, ValueError):
            try:
                code = self._proc.wait(2)
            except subprocess.TimeoutExpired:
                code = None
            raise _ChildDied(code) from None

    def _request(self, message: tuple[Any, ...], during: str) -> tuple[Any, ...]:
        """Send a request and wait for its single reply; errors are raised."""
        self._drain()
        self._flag.value = 0
        try:
            self._send(message)
            while (reply := self._receive(0.05)) is None:
                pass
        except _ChildDied as died:
            self._discard_process()
            raise EngineCrashed(died.exitcode, during) from None
        if reply[0] == "error":
            raise rebuild(*reply[1:])
        return reply

    def _drain(self) -> None:
        """Wait for a request the caller abandoned to end in the child."""
        while self._draining:
            try:
                msg = self._receive(0.05)
            except _ChildDied:
                self._discard_process()
                return
            if msg is not None and msg[0] in ("done", "error"):
                self._draining = False

    # ---- public API ----------------------------------------------------------------------------

    def load(self, spec: ModelSpec) -> LoadResult:
        """Check the files, then load them in the child process. Blocks; raises ``VisionDeskError``."""
        spec = ModelSpec(**{**spec.__dict__, "model": Path(spec.model),
                            "mmproj": Path(spec.mmproj) if spec.mmproj else None})
        info = read_gguf_info(spec.model)
        if info.is_projector:
            raise NotAProjector(spec.model, "clip: this is a projector; pass it as the mmproj, not the model")
        if spec.mmproj:
            check_pair(info, read_gguf_info(spec.mmproj, what="projector"))
        template = spec.chat_template or info.chat_template
        if not template:
            raise NoChatTemplate(spec.model)
        if not self._alive():
            self._start()
        reply = self._request(("load", spec), _STAGE_WORDS[Stage.LOADING])
        r = reply[1]
        self._spec, self._template = spec, template
        self._bos, self._eos = r["bos_token"], r["eos_token"]
        self._loaded = LoadResult(model_name=spec.model.stem, runs_on=r["backend"],
                                  model=spec.model, mmproj=spec.mmproj, backend=r["backend"],
                                  gpu_layers=r["gpu_layers"], n_layers=r["n_layers"], n_ctx=r["n_ctx"],
                                  vision=r["vision"], chat_template_source="configured" if spec.chat_template
                                  else "gguf", fallback_reason=r["fallback_reason"], load_ms=r["load_ms"],
                                  threads=r["threads"], threads_batch=r["threads_batch"],
                                  threads_note=r["threads_note"], warmup_tokens=r["warmup_tokens"])
        return self._loaded

    def system_info(self) -> dict[str, Any]:
        """llama.cpp build and devices, as the child process sees them."""
        if not self._alive():
            self._start()
        info: dict[str, Any] = self._request(("info",), "reading system information")[1]
        return info

    def reset_conversation(self) -> None:
        """Forget the cached conversation (image embeddings stay cached)."""
        if self._alive() and self._spec is not None:
            self._request(("reset",), "resetting")

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
            if sources and spec.mmproj is None:
                raise ImagesNeedProjector(spec.model)
            refs: list[ImageRef] = []
            fresh: dict[int, PreparedImage] = {}  # images decoded for this request
            for i, src in enumerate(sources):
                ref, img = self._image_ids.identify(src, spec.image_max_pixels)
                refs.append(ref)
                if img is not None:
                    fresh[i] = img
            prompt = render_prompt(self._template, messages, bos_token=self._bos, eos_token=self._eos)
            if not self._alive():
                stage = Stage.LOADING
                yield StageChanged(Stage.LOADING, time.monotonic())
                self._start()
                self._request(("load", spec), _STAGE_WORDS[Stage.LOADING])
        except VisionDeskError as exc:
            yield self._finished(StopReason.ERROR, exc)
            return
        self._drain()
        self._next_id += 1
        job = ChatJob(self._next_id, prompt, tuple(refs), sampling)
        self._flag.value = 0
        finished = False
        first_text: float | None = None
        try:
            self._send(("chat", job))
            while True:
                if cancel.cancelled:
                    self._flag.value = 1
                    asked = cancel.cancelled_at or time.monotonic()
                    if time.monotonic() - asked > CANCEL_GRACE_S:
                        self._draining = True
                        finished = True
                        yield self._finished(StopReason.CANCELLED)
                        return
                msg = self._receive(0.01)
                if msg is None:
                    continue
                now = time.monotonic()
                kind = msg[0]
                if kind == "text":
                    if first_text is None:
                        first_text = now
                    yield TextDelta(msg[1], now)
                elif kind == "need_pixels":
                    try:
                        pixels = {i: self._pixels(i, sources[i], refs[i], fresh, spec.image_max_pixels)
                                  for i in msg[1]}
                    except VisionDeskError as exc:
                        self._send(("pixels", None))
                        self._draining = True
                        finished = True
                        yield self._finished(StopReason.ERROR, exc)
                        return
                    self._send(("pixels", pixels))
                elif kind == "stage":
                    stage = Stage(msg[1])
                    yield StageChanged(stage, now, msg[2], msg[3])
                elif kind == "done":
                    finished = True
                    t = msg[3]
                    ttft = ((first_text or now) - t0) * 1000.0
                    yield Finished(StopReason(msg[1]), now, usage=Usage(**msg[2]), timings=Timings(
                        ttft_ms=ttft, encode_ms=t.get("encode_ms", 0.0), prompt_ms=t.get("prompt_ms", 0.0),
                        decode_ms=t.get("decode_ms", 0.0), prompt_tok_s=t.get("prompt_tok_s", 0.0),
                        decode_tok_s=t.get("decode_tok_s", 0.0)), backend=self._backend(),
                        gpu_layers=self._loaded.gpu_layers if self._loaded else 0)
                    return
                elif kind == "error":
                    finished = True
                    yield self._finished(StopReason.ERROR, rebuild(*msg[1:]))
                    return
        except _ChildDied as died:
            finished = True
            self._discard_process()
            log.error("engine process died (exit code %s) while %s", died.exitcode, _STAGE_WORDS[stage])
            yield self._finished(StopReason.ERROR, EngineCrashed(died.exitcode, _STAGE_WORDS[stage]))
        finally:
            if not finished and self._alive():  # the caller stopped iterating: let the child stop too
                self._flag.value = 1
                self._draining = True

    def _pixels(self, index: int, source: ImageSource | ImageAttachment, ref: ImageRef,
                fresh: dict[int, PreparedImage], max_pixels: int) -> str:
        """The file of an image's prepared pixels for the engine process: from the cache, decoded only if gone."""
        found = self._pixel_cache.find(ref.digest, ref.width, ref.height)
        if found is not None:
            return str(found)
        img = fresh.get(index) or prepare_image(as_source(source), max_pixels)
        if img.digest != ref.digest:
            raise ImageError(img.label, "it changed while the answer was being prepared; send it again.")
        return str(self._pixel_cache.put(img))

    def _backend(self) -> str:
        return self._loaded.backend if self._loaded else ""

    def _finished(self, reason: StopReason, error: VisionDeskError | None = None) -> Finished:
        return Finished(reason, time.monotonic(), error=error, backend=self._backend(),
                        gpu_layers=self._loaded.gpu_layers if self._loaded else 0)

    def close(self) -> None:
        """Stop any generation and the child process."""
        if self._own_pixels is not None:
            self._own_pixels.cleanup()
        if self._proc is None:
            return
        if self._alive():
            self._flag.value = 1
            try:
                self._conn.send(("quit",))
            except OSError:
                pass
            try:
                self._proc.wait(3)
            except subprocess.TimeoutExpired:
                log.warning("engine process did not quit in time; killing it")
        self._discard_process()

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
