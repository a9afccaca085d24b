"""The batch job: one question per image through any ``Backend``, every outcome a row of the result file.

``run_batch`` is a generator: it yields one ``ImageOutcome`` per image as its row is written, so the
command line draws a progress bar from it and a window could fill a table from it; stopping the
iteration (or the cancel token) pauses the job, and running it again on the same result file goes on
where it stopped. Images are recognised by the SHA-256 of their bytes, so a renamed copy is not
answered twice. A bad image, or an answer that fails validation twice, is an error row; the job goes on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import queue
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from visiondesk.engine import (
    AnswerInvalid,
    Backend,
    CancelToken,
    Finished,
    ImageSource,
    InputError,
    Message,
    ParallelBackend,
    ResponseFormat,
    SamplingParams,
    StopReason,
    TextDelta,
)
from visiondesk.engine.structured import parse_answer

from .result_file import ResultFile, ResultRow

log = logging.getLogger(__name__)

Status = Literal["ok", "error", "skipped", "duplicate"]
RANDOM_SEED = 0xFFFFFFFF  # llama.cpp's "pick a random seed"


@dataclasses.dataclass(frozen=True)
class BatchTask:
    """What to ask about every image, and how."""

    prompt: str
    sampling: SamplingParams = SamplingParams(temperature=0.0)
    system: str = ""
    model_name: str = ""  # part of the task's identity: another model's answers are another task
    retry_failed: bool = False  # answer again the images whose last row is an error

    @property
    def response_format(self) -> ResponseFormat | None:
        """The answer's format (None: free text)."""
        return self.sampling.response_format

    @property
    def task_id(self) -> str:
        """A short fingerprint of prompt, schema and model, stored in every row."""
        fmt = self.response_format
        key = json.dumps([self.prompt, self.system, fmt.kind if fmt else "", fmt.schema if fmt else None,
                          self.model_name])
        return hashlib.sha256(key.encode()).hexdigest()[:12]

    def answer_columns(self) -> tuple[str, ...]:
        """The CSV columns of an answer: the schema's top-level properties, else one "answer" column."""
        fmt = self.response_format
        props = fmt.schema_dict().get("properties") if fmt else None
        return tuple(props) if isinstance(props, dict) and props else ("answer",)


@dataclasses.dataclass(frozen=True)
class ImageOutcome:
    """What happened to one image.

    "ok" and "error" wrote ``row``; "skipped" was answered before; "duplicate" has the same bytes as an
    image earlier in this run.
    """

    path: Path
    status: Status
    row: ResultRow | None = None


@dataclasses.dataclass
class BatchSummary:
    """Counts for the end of a run."""

    done: int = 0
    failed: int = 0
    skipped: int = 0
    duplicates: int = 0
    seconds: float = 0.0
    cancelled: bool = False

    def add(self, outcome: ImageOutcome) -> None:
        """Count one outcome."""
        if outcome.status == "ok":
            self.done += 1
        elif outcome.status == "error":
            self.failed += 1
        elif outcome.status == "skipped":
            self.skipped += 1
        else:
            self.duplicates += 1


class _Cancelled(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class _Job:
    path: Path
    sha: str
    data: bytes
    t0: float

    def source(self) -> ImageSource:
        return ImageSource(data=self.data, name=str(self.path))


def run_batch(backends: Backend[Any] | Sequence[Backend[Any]], task: BatchTask, images: Iterable[Path],
              results: ResultFile, cancel: CancelToken | None = None) -> Iterator[ImageOutcome]:
    """Answer every image not yet in ``results``, appending one row each; yields as rows are written.

    Given several backends, as many images are in flight at once, one thread per backend (each backend
    is used from its own thread only); given one ``ParallelBackend`` with several slots (the local
    engine loaded with ``ModelSpec.parallel``), as many images are answered at once in one model. Rows
    are then written in the order answers finish. Stopping the iteration early cancels the requests
    still running.
    """
    cancel = cancel or CancelToken()
    pool: list[Backend[Any]] = list(backends) if isinstance(backends, Sequence) else [backends]
    if len(pool) == 1 and isinstance(pool[0], ParallelBackend) and pool[0].parallel_slots > 1:
        from .parallel_runner import run_in_slots

        yield from run_in_slots(pool[0], task, _jobs(task, images, results, cancel), results, cancel)
        return
    if len(pool) > 1:
        yield from _run_parallel(pool, task, images, results, cancel)
        return
    for item in _jobs(task, images, results, cancel):
        if isinstance(item, ImageOutcome):
            yield item
            continue
        try:
            answer, error = _ask(pool[0], task, item.source(), cancel)
        except _Cancelled:
            return
        yield _record(results, task, item, answer, error)


def _jobs(task: BatchTask, images: Iterable[Path], results: ResultFile,
          cancel: CancelToken) -> Iterator[ImageOutcome | _Job]:
    """Each image read and hashed: an outcome already (unreadable, duplicate, answered before) or a job."""
    seen: set[str] = set()
    for path in images:
        if cancel.cancelled:
            return
        t0 = time.monotonic()
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            row = ResultRow(str(path), "", "error", f"cannot read the file: {exc.strerror or exc}", task.task_id,
                            0.0)
            results.append(row)
            yield ImageOutcome(path, "error", row)
            continue
        sha = hashlib.sha256(data).hexdigest()
        if sha in seen:
            yield ImageOutcome(path, "duplicate")
            continue
        seen.add(sha)
        previous = results.answered.get(sha)
        if previous == "ok" or (previous == "error" and not task.retry_failed):
            yield ImageOutcome(path, "skipped")
            continue
        yield _Job(path, sha, data, t0)


def _record(results: ResultFile, task: BatchTask, job: _Job, answer: Any, error: str) -> ImageOutcome:
    row = ResultRow(str(job.path), job.sha, "error" if error else "ok", error, task.task_id,
                    round(time.monotonic() - job.t0, 3), answer)
    results.append(row)
    return ImageOutcome(job.path, "error" if error else "ok", row)


_Answered = tuple[_Job, Any, str, bool]  # job, answer, error, cancelled


def _run_parallel(pool: list[Backend[Any]], task: BatchTask, images: Iterable[Path], results: ResultFile,
                  cancel: CancelToken) -> Iterator[ImageOutcome]:
    jobs: queue.Queue[_Job | None] = queue.Queue()
    answered: queue.Queue[_Answered] = queue.Queue()

    def work(backend: Backend[Any]) -> None:
        while (job := jobs.get()) is not None:
            try:
                answer, error = _ask(backend, task, job.source(), cancel)
                answered.put((job, answer, error, False))
            except _Cancelled:
                answered.put((job, None, "", True))
            except Exception as exc:  # a row says so and the batch goes on, as for any failed image
                log.exception("answering %s failed", job.path)
                answered.put((job, None, f"unexpected failure: {exc}", False))

    threads = [threading.Thread(target=work, args=(b,), name=f"batch-{i}", daemon=True) for i, b in enumerate(pool)]
    for t in threads:
        t.start()
    in_flight = 0
    try:
        for item in _jobs(task, images, results, cancel):
            if isinstance(item, ImageOutcome):
                yield item
                continue
            while in_flight >= len(pool):
                in_flight -= 1
                yield from _finish(results, task, answered.get())
            jobs.put(item)
            in_flight += 1
        while in_flight:
            in_flight -= 1
            yield from _finish(results, task, answered.get())
    finally:
        if in_flight:  # the caller stopped iterating: stop what still runs
            cancel.cancel()
        for _ in threads:
            jobs.put(None)
        for t in threads:
            t.join()


def _finish(results: ResultFile, task: BatchTask, done: _Answered) -> Iterator[ImageOutcome]:
    job, answer, error, cancelled = done
    if not cancelled:
        yield _record(results, task, job, answer, error)


def messages_for(task: BatchTask, image: ImageSource) -> list[Message]:
    """The conversation that asks ``task`` about ``image``."""
    messages = [Message.system(task.system)] if task.system else []
    messages.append(Message.user(task.prompt, image))
    return messages


def judge(task: BatchTask, text: str, fin: Finished, sampling: SamplingParams) -> tuple[Any, str, bool]:
    """(answer, "", True), or (None, why it failed, whether trying again could help) for a finished answer."""
    if fin.error is not None:
        return None, str(fin.error), not isinstance(fin.error, InputError)  # a bad image fails the same way again
    if task.response_format is None:
        return text.strip(), "", True
    try:
        return parse_answer(task.response_format, text), "", True
    except AnswerInvalid as exc:
        cut = f" (cut at max_tokens = {sampling.max_tokens})" if fin.stop_reason is StopReason.LENGTH else ""
        return None, f"{exc}{cut}", True


def retry_sampling(sampling: SamplingParams) -> SamplingParams:
    """The settings of the second attempt: a fixed seed would give the same answer again, so the next one."""
    if sampling.seed == RANDOM_SEED:
        return sampling
    return dataclasses.replace(sampling, seed=(sampling.seed + 1) % RANDOM_SEED)


def _ask(backend: Backend[Any], task: BatchTask, image: ImageSource, cancel: CancelToken) -> tuple[Any, str]:
    """(answer, "") or (None, why it failed); one retry for an answer that does not validate or a crash."""
    messages = messages_for(task, image)
    sampling = task.sampling
    error = ""
    for attempt in range(2):
        text, fin = _chat(backend, messages, sampling, cancel)
        if fin.stop_reason is StopReason.CANCELLED:
            raise _Cancelled
        answer, error, again = judge(task, text, fin, sampling)
        if not error or not again:
            return answer, error
        log.info("%s: attempt %d failed: %s", image.label, attempt + 1, error)
        sampling = retry_sampling(sampling)
    return None, error


def _chat(backend: Backend[Any], messages: list[Message], sampling: SamplingParams,
          cancel: CancelToken) -> tuple[str, Finished]:
    parts: list[str] = []
    fin: Finished | None = None
    for event in backend.chat(messages, sampling, cancel):
        if isinstance(event, TextDelta):
            parts.append(event.text)
        elif isinstance(event, Finished):
            fin = event
    assert fin is not None, "a backend's stream always ends with Finished"
    return "".join(parts), fin
