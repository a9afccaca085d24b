"""A batch job on one backend with parallel slots: many images answered at once in one model.

The backend pulls requests as its slots free up (``ParallelBackend.chat_parallel``), so images are read
and hashed as they are needed, and the outcomes that need no answer (unreadable, duplicate, already in
the result file) are yielded between answers. An answer that fails validation (or a crash) is asked
again once, as in ``runner._ask``: it joins the queue and takes the next free slot.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
from collections.abc import Iterator
from typing import Any

from visiondesk.engine import (
    CancelToken,
    Finished,
    ParallelBackend,
    ParallelRequest,
    SamplingParams,
    StopReason,
    TextDelta,
)

from .result_file import ResultFile
from .task import BatchTask, ImageOutcome, Job, judge, messages_for, record, retry_sampling

log = logging.getLogger(__name__)


@dataclasses.dataclass
class _InFlight:
    job: Job
    sampling: SamplingParams
    attempt: int = 0
    text: list[str] = dataclasses.field(default_factory=list)


class _Feed:
    """The requests for the backend: retries first, then the next images; other outcomes set aside."""

    def __init__(self, task: BatchTask, jobs: Iterator[ImageOutcome | Job]) -> None:
        self.task = task
        self.jobs = jobs
        self.retries: collections.deque[int] = collections.deque()
        self.in_flight: dict[int, _InFlight] = {}
        self.outcomes: collections.deque[ImageOutcome] = collections.deque()
        self._next_key = 0

    def requests(self) -> Iterator[ParallelRequest]:
        """What ``chat_parallel`` pulls from."""
        while True:
            if self.retries:
                key = self.retries.popleft()
                yield self._request(key)
                continue
            item = next(self.jobs, None)
            if item is None:
                return
            if isinstance(item, ImageOutcome):
                self.outcomes.append(item)
                continue
            self._next_key += 1
            self.in_flight[self._next_key] = _InFlight(item, self.task.sampling)
            yield self._request(self._next_key)

    def _request(self, key: int) -> ParallelRequest:
        entry = self.in_flight[key]
        return ParallelRequest(key, messages_for(self.task, entry.job.sources()), entry.sampling)


def run_in_slots(backend: ParallelBackend, task: BatchTask, jobs: Iterator[ImageOutcome | Job], results: ResultFile,
                 cancel: CancelToken) -> Iterator[ImageOutcome]:
    """Answer every job through ``backend``'s slots, yielding each outcome as its row is written."""
    feed = _Feed(task, jobs)
    while True:
        stream = backend.chat_parallel(feed.requests(), cancel)
        ended = False
        try:
            for key, event in stream:
                while feed.outcomes:
                    yield feed.outcomes.popleft()
                entry = feed.in_flight[key]
                if isinstance(event, TextDelta):
                    entry.text.append(event.text)
                elif isinstance(event, Finished):
                    yield from _finished(feed, results, key, entry, event)
            ended = True
        finally:
            if not ended:  # the caller stopped iterating: stop what still runs
                cancel.cancel()
            stream.close()
        while feed.outcomes:
            yield feed.outcomes.popleft()
        if not feed.retries or cancel.cancelled:  # retries that came after the last pull need one more round
            return


def _finished(feed: _Feed, results: ResultFile, key: int, entry: _InFlight, fin: Finished) -> Iterator[ImageOutcome]:
    if fin.stop_reason is StopReason.CANCELLED:
        del feed.in_flight[key]
        return
    answer: Any
    answer, error, again = judge(feed.task, "".join(entry.text), fin, entry.sampling)
    if error and again and entry.attempt == 0:
        log.info("%s: attempt 1 failed: %s", entry.job.path, error)
        entry.attempt, entry.text, entry.sampling = 1, [], retry_sampling(entry.sampling)
        feed.retries.append(key)
        return
    del feed.in_flight[key]
    yield record(results, feed.task, entry.job, answer, error)
