"""``LocalEngine.chat``: one conversation's answer streamed from the engine process as typed events.

The parent's half of a ``ChatJob``: the prompt is rendered and the images identified here, the model is
loaded first if the process does not hold it, and the child's messages become ``StageChanged``,
``TextDelta`` and, always last, one ``Finished``. Pixels are written only when the child asks for them
(``NeedPixels``: an image it has no embedding for). A cancel ends the stream within ``CANCEL_GRACE_S``
even if the child is still busy; a caller who stops iterating leaves the child to end the job on its own.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from ..cancel import CancelToken
from ..errors import EngineClosed, EngineFailure, VisionDeskError
from ..events import EngineEvent, Finished, Stage, StageChanged, StopReason, TextDelta
from ..requests import Message, SamplingParams
from .chat_template import render_prompt
from .child_process import ChildGone, ChildHung
from .worker.protocol import Alive, ChatJob, Done, ErrorReply, NeedPixels, Pixels, StageReport, Text

if TYPE_CHECKING:
    from .engine_parts import EngineParts

CANCEL_GRACE_S = 0.2  # after this, a cancelled request ends even if the child is still busy
STAGE_WORDS = {Stage.LOADING: "loading the model", Stage.ENCODING_IMAGE: "encoding an image",
               Stage.READING_PROMPT: "reading the prompt", Stage.GENERATING: "writing the answer"}


def chat_stream(engine: EngineParts, messages: Sequence[Message], sampling: SamplingParams,
                cancel: CancelToken | None) -> Iterator[EngineEvent]:
    """Answer the conversation's last user message as a stream of events ending in ``Finished``."""
    t0 = time.monotonic()
    cancel = cancel or CancelToken()
    link = engine._link
    stage = Stage.READING_PROMPT
    try:
        if engine._spec is None:
            raise EngineFailure("No model is loaded: choose a model first.")
        spec = engine._spec
        sources = [src for m in messages for src in m.images]
        refs, fresh = engine._images.identify(sources, spec)  # fresh: the images decoded for this request
        prompt = render_prompt(engine._template, messages, bos_token=engine._bos, eos_token=engine._eos)
        link.settle()
        child = link.live()
        if child is None or child.model != spec:  # restarted, or started without the model (system_info)
            stage = Stage.LOADING
            yield StageChanged(Stage.LOADING, time.monotonic())
            child = link.for_tuning(spec.tuning)
            engine._load_in(child, spec)
    except VisionDeskError as exc:  # EngineClosed too: a request after close() is an error, not a cancel
        yield engine._finished(StopReason.ERROR, exc)
        return
    engine._next_id += 1
    job = ChatJob(engine._next_id, prompt, tuple(refs), sampling)
    child.cancel(False)
    child.busy = True
    finished = False
    first_text: float | None = None
    silence_s = link.deadlines.silence_s
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
                    yield engine._finished(StopReason.CANCELLED)
                    return
            msg, now = child.listen(heard, silence_s)
            if msg is None:
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
                        pixels = {i: engine._images.pixel_file(i, sources[i], refs[i], fresh, spec.image_max_pixels)
                                  for i in indices}
                    except VisionDeskError as exc:
                        child.send(Pixels(None))
                        child.draining = True
                        finished = True
                        yield engine._finished(StopReason.ERROR, exc)
                        return
                    child.send(Pixels(pixels))
                case StageReport(stage=stage, index=index, total=total):
                    yield StageChanged(stage, now, index, total)
                case Done(stop_reason=reason, usage=usage, timings=timings):
                    finished = True
                    child.busy = False
                    ttft = ((first_text or now) - t0) * 1000.0
                    yield Finished(reason, now, usage=usage, timings=dataclasses.replace(timings, ttft_ms=ttft),
                                   backend=engine._backend(), gpu_layers=engine._gpu_layers())
                    return
                case ErrorReply():
                    finished = True
                    child.busy = False
                    yield engine._finished(StopReason.ERROR, msg.error())
                    return
                case _:
                    finished = True
                    yield engine._finished(StopReason.ERROR, link.unexpected(msg, job))
                    return
            heard = time.monotonic()
    except (ChildGone, ChildHung) as lost:
        finished = True
        error = link.lost(lost, STAGE_WORDS[stage])
        if isinstance(error, EngineClosed):
            yield engine._finished(StopReason.CANCELLED)
        else:
            yield engine._finished(StopReason.ERROR, error)
    finally:
        if not finished:  # the caller stopped iterating
            link.abandoned(child)
