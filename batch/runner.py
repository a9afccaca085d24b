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
import logging
import queue
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from visiondesk.engine import (
    Backend,
    CancelToken,
    Finished,
    ImageSource,
    Message,
    ParallelBackend,
    SamplingParams,
    StopReason,
    TextDelta,
)
from visiondesk.engine.pdf_pages import MAX_PAGES, PDF_MAGIC, PdfUnreadable, pdf_pages

from .result_file import ResultFile, ResultRow
from .task import BatchTask, ImageOutcome, Job, judge, messages_for, record, retry_sampling

log = logging.getLogger(__name__)



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
            answer, error = _ask(pool[0], task, item.sources(), cancel)
        except _Cancelled:
            return
        yield record(results, task, item, answer, error)


def _jobs(task: BatchTask, images: Iterable[Path], results: ResultFile,
          cancel: CancelToken) -> Iterator[ImageOutcome | Job]:
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
        if data[:5] != PDF_MAGIC:
            yield Job(path, sha, data, t0)
            continue
        try:
            drawn = pdf_pages(ImageSource(data=data, name=Path(path).name), MAX_PAGES)
        except PdfUnreadable as exc:
            row = ResultRow(str(path), sha, "error", str(exc), task.task_id, round(time.monotonic() - t0, 3))
            results.append(row)
            yield ImageOutcome(path, "error", row)
            continue
        if drawn.cut:
            log.warning("%s: only its first %d of %d pages go to the model", path, len(drawn.pages), drawn.total)
        yield Job(path, sha, data, t0, drawn.pages)


_Answered = tuple[Job, Any, str, bool]  # job, answer, error, cancelled


def _run_parallel(pool: list[Backend[Any]], task: BatchTask, images: Iterable[Path], results: ResultFile,
                  cancel: CancelToken) -> Iterator[ImageOutcome]:
    jobs: queue.Queue[Job | None] = queue.Queue()
    answered: queue.Queue[_Answered] = queue.Queue()

    def work(backend: Backend[Any]) -> None:
        while (job := jobs.get()) is not None:
            try:
                answer, error = _ask(backend, task, job.sources(), cancel)
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
        yield record(results, task, job, answer, error)


def _ask(backend: Backend[Any], task: BatchTask, images: Sequence[ImageSource],
         cancel: CancelToken) -> tuple[Any, str]:
    """(answer, "") or (None, why it failed); one retry for an answer that does not validate or a crash."""
    messages = messages_for(task, images)
    sampling = task.sampling
    error = ""
    for attempt in range(2):
        text, fin = _chat(backend, messages, sampling, cancel)
        if fin.stop_reason is StopReason.CANCELLED:
            raise _Cancelled
        answer, error, again = judge(task, text, fin, sampling)
        if not error or not again:
            return answer, error
        log.info("%s: attempt %d failed: %s", images[0].label, attempt + 1, error)
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
