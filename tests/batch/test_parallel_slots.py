"""Batch jobs on one engine's parallel slots: schemas hold per sequence, error rows, one retry, cancel, resume."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from visiondesk.batch import BatchSummary, BatchTask, ResultFile, collect_images, find_preset, run_batch
from visiondesk.cli import main
from visiondesk.engine import (
    CancelToken,
    EngineEvent,
    Finished,
    Message,
    ParallelRequest,
    SamplingParams,
    TextDelta,
)
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.structured import parse_answer

from tests.batch.conftest import json_spec, make_images

RECEIPT = find_preset("receipt")
FORMAT = RECEIPT.response_format()
TASK = BatchTask(RECEIPT.prompt("en"), SamplingParams(temperature=0.8, seed=7, max_tokens=300, response_format=FORMAT))


@pytest.fixture(scope="module")
def slots_engine(json_models: tuple[Path, Path]) -> Iterator[LocalEngine]:
    """The JSON-friendly model with four parallel sequences."""
    with LocalEngine() as e:
        e.load(dataclasses.replace(json_spec(json_models), parallel=4))
        yield e


class CountingSlots:
    """The real engine's slots, counting the requests they take (to see retries)."""

    def __init__(self, engine: LocalEngine) -> None:
        self.engine = engine
        self.taken = 0

    @property
    def parallel_slots(self) -> int:
        return self.engine.parallel_slots

    def chat_parallel(self, requests: Iterable[ParallelRequest],
                      cancel: CancelToken | None = None) -> Iterator[tuple[int, EngineEvent]]:
        def counted() -> Iterator[ParallelRequest]:
            for r in requests:
                self.taken += 1
                yield r
        return self.engine.chat_parallel(counted(), cancel)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


def rows(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def run_all(backend: Any, task: BatchTask, inputs: list[Path], out: Path,
            cancel: CancelToken | None = None) -> BatchSummary:
    summary = BatchSummary()
    with ResultFile(out, task.task_id, task.answer_columns()) as results:
        for outcome in run_batch(backend, task, collect_images(inputs), results, cancel):
            summary.add(outcome)
    return summary


def test_every_slot_answers_under_its_schema_for_twenty_seeds(slots_engine: LocalEngine, json_models: tuple[Path, Path],
                                                              tmp_path: Path) -> None:
    """Twenty requests, seeds 0..19, four at a time: each answer validates, and equals that request alone.

    Each sequence has its own grammar sampler: a grammar state shared or leaked between slots would
    break the JSON or change an answer.
    """
    images = make_images(tmp_path / "in", 20)
    requests = [ParallelRequest(seed, [Message.user(RECEIPT.prompt("en"), images[seed])],
                                dataclasses.replace(TASK.sampling, seed=seed)) for seed in range(20)]
    texts: dict[int, str] = {}
    for key, event in slots_engine.chat_parallel(requests):
        if isinstance(event, TextDelta):
            texts[key] = texts.get(key, "") + event.text
        elif isinstance(event, Finished):
            assert event.error is None, event.error
    assert sorted(texts) == list(range(20))
    for text in texts.values():
        answer = parse_answer(FORMAT, text)
        assert isinstance(answer["items"], list) and isinstance(answer["total"], (int, float))
    assert len(set(texts.values())) > 10  # the seeds differ per sequence
    with LocalEngine() as alone:
        alone.load(json_spec(json_models))
        for r in requests[:8]:
            text = "".join(e.text for e in alone.chat(r.messages, r.sampling) if isinstance(e, TextDelta))
            assert text == texts[r.key], r.key


def test_broken_images_are_error_rows_the_rest_answered_then_stop_and_resume(slots_engine: LocalEngine,
                                                                             tmp_path: Path) -> None:
    make_images(tmp_path / "in", 30, broken=3)
    out = tmp_path / "results.jsonl"
    with ResultFile(out, TASK.task_id) as results:
        stream = run_batch(slots_engine, TASK, collect_images([tmp_path / "in"]), results)
        for n, _ in enumerate(stream, 1):
            if n == 10:
                break
        stream.close()  # stops the slots still answering
    assert 10 <= len(rows(out)) < 30
    summary = run_all(slots_engine, TASK, [tmp_path / "in"], out)
    assert summary.skipped == len(rows(out)) - summary.done - summary.failed
    written = rows(out)
    assert sorted(r["image"] for r in written) == sorted(str(p) for p in (tmp_path / "in").iterdir())  # each once
    errors = [r for r in written if r["status"] == "error"]
    assert len(errors) == 3 and all("Cannot use the image" in r["error"] for r in errors)
    for r in written:
        if r["status"] == "ok":
            parse_answer(FORMAT, json.dumps(r["answer"]))


def test_an_answer_cut_short_is_asked_again_once_then_an_error_row(slots_engine: LocalEngine, tmp_path: Path) -> None:
    make_images(tmp_path / "in", 5)
    short = BatchTask(TASK.prompt, dataclasses.replace(TASK.sampling, max_tokens=4))
    counting = CountingSlots(slots_engine)
    out = tmp_path / "results.jsonl"
    summary = run_all(counting, short, [tmp_path / "in"], out)
    assert (summary.done, summary.failed) == (0, 5)
    assert counting.taken == 10  # each image twice, never more
    assert all("cut at max_tokens = 4" in r["error"] for r in rows(out))


def test_the_cancel_token_stops_every_slot_and_a_rerun_finishes(slots_engine: LocalEngine, tmp_path: Path) -> None:
    make_images(tmp_path / "in", 16)
    out = tmp_path / "results.jsonl"
    cancel = CancelToken()
    with ResultFile(out, TASK.task_id) as results:
        for n, _ in enumerate(run_batch(slots_engine, TASK, collect_images([tmp_path / "in"]), results, cancel), 1):
            if n == 3:
                cancel.cancel()
    first = len(rows(out))
    assert 3 <= first < 16  # the slots still answering were stopped, and wrote nothing
    assert run_all(slots_engine, TASK, [tmp_path / "in"], out).done == 16 - first
    assert sorted(r["image"] for r in rows(out)) == sorted(str(p) for p in (tmp_path / "in").iterdir())


def test_the_command_answers_with_one_model_and_n_slots(json_models: tuple[Path, Path], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    make_images(tmp_path / "in", 7, broken=1)
    out = tmp_path / "receipts.jsonl"
    code = main(["batch", "--model", str(json_models[0]), "--mmproj", str(json_models[1]), "--threads", "1",
                 "--no-progress", "--temperature", "0.7", "--seed", "1", "--parallel", "3", "--preset", "receipt",
                 str(tmp_path / "in"), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "3 images at once" in err and "done 6, failed 1" in err
    assert len(rows(out)) == 7
