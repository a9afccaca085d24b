"""One batch job's task, and what both runners share: the question, the judging, the retry, the row.

``runner.py`` runs images through a pool of backends; ``parallel_runner.py`` through one engine's parallel slots.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from visiondesk.engine import (
    AnswerInvalid,
    Finished,
    ImageSource,
    InputError,
    Message,
    ResponseFormat,
    SamplingParams,
    StopReason,
)
from visiondesk.engine.structured import parse_answer

from .result_file import ResultFile, ResultRow

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


@dataclasses.dataclass(frozen=True)
class Job:
    """One image (or PDF) to answer: its file, content hash, bytes, the time it was read, and a PDF's pages."""

    path: Path
    sha: str
    data: bytes
    t0: float
    pages: tuple[ImageSource, ...] = ()  # a PDF's pages, drawn as images when it was read

    def sources(self) -> tuple[ImageSource, ...]:
        """The images as the engine takes them: the file's, or a PDF's pages."""
        return self.pages or (ImageSource(data=self.data, name=str(self.path)),)


def record(results: ResultFile, task: BatchTask, job: Job, answer: Any, error: str) -> ImageOutcome:
    """Append ``job``'s row (its answer, or the error) to ``results``."""
    row = ResultRow(str(job.path), job.sha, "error" if error else "ok", error, task.task_id,
                    round(time.monotonic() - job.t0, 3), answer)
    results.append(row)
    return ImageOutcome(job.path, "error" if error else "ok", row)


def messages_for(task: BatchTask, images: Sequence[ImageSource]) -> list[Message]:
    """The conversation that asks ``task`` about ``images`` (one file's: an image, or a PDF's pages)."""
    messages = [Message.system(task.system)] if task.system else []
    messages.append(Message.user(task.prompt, *images))
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
