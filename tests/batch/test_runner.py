"""run_batch through the real local engine: error rows, duplicates by content, resuming, one retry, cancel."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from visiondesk.batch import BatchTask, ResultFile, run_batch
from visiondesk.engine import CancelToken, EngineEvent, Message, ResponseFormat, SamplingParams
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.structured import parse_answer

from tests.batch.conftest import RECEIPT, TASK, make_images, rows, run_all, stop_after


class CountingBackend:
    """The real engine, counting the requests it is given (to see retries)."""

    def __init__(self, engine: LocalEngine) -> None:
        self.engine = engine
        self.requests = 0

    def chat(self, messages: Sequence[Message], sampling: SamplingParams = SamplingParams(),
             cancel: CancelToken | None = None) -> Iterator[EngineEvent]:
        self.requests += 1
        return self.engine.chat(messages, sampling, cancel)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


def test_thirty_images_three_broken(json_engine: LocalEngine, tmp_path: Path) -> None:
    make_images(tmp_path / "in", 30, broken=3)
    out = tmp_path / "results.jsonl"
    summary = run_all(json_engine, TASK, [tmp_path / "in"], out)
    assert (summary.done, summary.failed) == (27, 3)
    written = rows(out)
    assert len(written) == 30
    errors = [r for r in written if r["status"] == "error"]
    assert len(errors) == 3 and all("Cannot use the image" in r["error"] for r in errors)
    fmt = TASK.response_format
    assert fmt is not None
    for r in written:
        if r["status"] == "ok":
            parse_answer(fmt, json.dumps(r["answer"]))  # what was stored still validates


def test_renamed_duplicates_are_answered_once_also_across_runs(json_engine: LocalEngine, tmp_path: Path) -> None:
    images = make_images(tmp_path / "in", 6)
    (tmp_path / "in" / "sub").mkdir()
    shutil.copy(images[0], tmp_path / "in" / "sub" / "holiday.png")
    shutil.copy(images[1], tmp_path / "in" / "copy of 1.PNG")
    out = tmp_path / "results.jsonl"
    first = run_all(json_engine, TASK, [tmp_path / "in"], out)
    assert (first.done, first.duplicates) == (6, 2)
    assert len(rows(out)) == 6
    # Next run: everything is there; a new image and another renamed copy arrive.
    make_images(tmp_path / "more", 1, start=50)
    shutil.copy(images[2], tmp_path / "more" / "renamed.png")
    second = run_all(json_engine, TASK, [tmp_path / "in", tmp_path / "more"], out)
    # 10 files, 7 contents: the first file of each answered content is skipped, the other 3 are duplicates.
    assert (second.done, second.skipped, second.duplicates) == (1, 6, 3)
    shas = [r["sha256"] for r in rows(out)]
    assert len(shas) == len(set(shas)) == 7


def test_an_invalid_answer_is_retried_once_then_an_error_row(json_engine: LocalEngine, tmp_path: Path) -> None:
    images = make_images(tmp_path / "in", 2)
    task = BatchTask("Read it.", SamplingParams(temperature=0.8, seed=3, max_tokens=4,
                                                response_format=ResponseFormat.json_schema(RECEIPT.schema or {})))
    backend = CountingBackend(json_engine)
    out = tmp_path / "results.jsonl"
    summary = run_all(backend, task, images, out)
    assert summary.failed == 2 and backend.requests == 4
    assert all("cut at max_tokens = 4" in r["error"] for r in rows(out))


def test_cancel_stops_between_images_and_a_rerun_goes_on(json_engine: LocalEngine, tmp_path: Path) -> None:
    images = make_images(tmp_path / "in", 5)
    out = tmp_path / "results.jsonl"
    cancel = CancelToken()
    with ResultFile(out, TASK.task_id) as results:
        for n, _ in enumerate(run_batch(json_engine, TASK, images, results, cancel), 1):
            if n == 2:
                cancel.cancel()
    assert len(rows(out)) == 2
    assert run_all(json_engine, TASK, images, out).done == 3
    assert [r["image"] for r in rows(out)] == [str(p) for p in images]


def test_free_text_answers_and_a_list_of_paths(json_engine: LocalEngine, tmp_path: Path) -> None:
    images = make_images(tmp_path / "in", 3)
    listing = tmp_path / "todo.txt"
    listing.write_text("# scanned on Monday\nin/img-000.png\n\n" + str(images[2]) + "\n", encoding="utf-8")
    task = BatchTask("Describe it.", SamplingParams(temperature=0.0, max_tokens=8))
    out = tmp_path / "results.csv"
    assert run_all(json_engine, task, [listing], out).done == 2
    assert task.answer_columns() == ("answer",)


def test_parallel_backends_answer_each_image_once(json_models: tuple[Path, Path], tmp_path: Path) -> None:
    """Three engines, three images in flight: same rows as sequential; stopping midway and resuming loses nothing."""
    from tests.batch.conftest import json_spec

    make_images(tmp_path / "in", 30, broken=3)
    out = tmp_path / "results.jsonl"
    engines = [LocalEngine() for _ in range(3)]
    try:
        for e in engines:
            e.load(json_spec(json_models))
        stop_after(engines, tmp_path / "in", out, 10)  # stops the requests still running
        assert 10 <= len(rows(out)) < 30
        summary = run_all(engines, TASK, [tmp_path / "in"], out)
        assert summary.skipped == len(rows(out)) - summary.done - summary.failed
    finally:
        for e in engines:
            e.close()
    written = rows(out)
    assert sorted(r["image"] for r in written) == sorted(str(p) for p in (tmp_path / "in").iterdir())
    assert sorted(r["status"] for r in written).count("error") == 3


def test_a_pdf_in_the_folder_is_one_row_answered_about_all_its_pages(json_engine: LocalEngine, tmp_path: Path) -> None:
    """A receipt sent as a two-page PDF: one row, one answer about both pages; a damaged PDF is an error row."""
    from tests.engine.test_pdf_pages import write_pdf

    make_images(tmp_path / "in", 1)
    pdf = write_pdf(tmp_path / "in" / "receipt.pdf", 2, (200, 260))
    (tmp_path / "in" / "torn.pdf").write_bytes(pdf.read_bytes()[:300])
    counting = CountingBackend(json_engine)
    encoded: list[int] = []
    original = counting.chat

    def chat(messages: Sequence[Message], sampling: SamplingParams = SamplingParams(),
             cancel: CancelToken | None = None) -> Iterator[EngineEvent]:
        encoded.append(len(messages[-1].images))
        return original(messages, sampling, cancel)

    counting.chat = chat  # type: ignore[method-assign]
    out = tmp_path / "results.jsonl"
    summary = run_all(counting, TASK, [tmp_path / "in"], out)
    assert (summary.done, summary.failed) == (2, 1)
    by_file = {Path(r["image"]).name: r for r in rows(out)}
    assert set(by_file) == {"img-000.png", "receipt.pdf", "torn.pdf"}
    assert by_file["receipt.pdf"]["status"] == "ok" and by_file["torn.pdf"]["status"] == "error"
    assert by_file["torn.pdf"]["error"].startswith("Cannot read the PDF torn.pdf: it is damaged")
    assert sorted(encoded) == [1, 2]  # the image alone, the PDF's two pages together
