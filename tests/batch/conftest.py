"""A generated model whose grammar-constrained answers end soon, an engine on it, folders of images, and the
receipt task run over them into a results file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from visiondesk.batch import BatchSummary, BatchTask, ResultFile, collect_images, find_preset, run_batch
from visiondesk.engine import CancelToken, ModelSpec, SamplingParams
from visiondesk.engine.llama import LocalEngine

from tests.model_factory import write_mmproj, write_text_model

RECEIPT = find_preset("receipt")
FORMAT = RECEIPT.response_format()
TASK = BatchTask(RECEIPT.prompt("en"), SamplingParams(temperature=0.8, seed=7, max_tokens=300, response_format=FORMAT))


@pytest.fixture(scope="session")
def json_models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Random weights that favour closing quotes, brackets and EOS (see ``write_text_model(favour=...)``)."""
    d = tmp_path_factory.mktemp("json-models")
    return write_text_model(d / "json-chat.gguf", favour=b'"]}'), write_mmproj(d / "json-mmproj.gguf")


def json_spec(models: tuple[Path, Path]) -> ModelSpec:
    """One thread: steadier on 2 shared cores."""
    return ModelSpec(model=models[0], mmproj=models[1], n_ctx=1024, threads=1)


@pytest.fixture(scope="module")
def json_engine(json_models: tuple[Path, Path]) -> Iterator[LocalEngine]:
    """A loaded engine on the JSON-friendly model."""
    with LocalEngine() as e:
        e.load(json_spec(json_models))
        yield e


def make_images(folder: Path, count: int, broken: int = 0, start: int = 0) -> list[Path]:
    """``count`` distinct small images (every ``count // broken``-th one broken: bytes that are no image)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    every = count // broken if broken else 0
    for i in range(start, start + count):
        path = folder / f"img-{i:03d}.png"
        if every and (i - start) % every == every - 1:
            path.write_bytes(b"\x89PNG but then nothing an image decoder wants " + bytes([i]))
        else:
            Image.new("RGB", (24 + i % 7, 20), ((i * 37) % 256, (i * 91) % 256, (i * 53) % 256)).save(path)
        out.append(path)
    return out


def rows(out: Path) -> list[dict[str, Any]]:
    """The rows of a results file."""
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def run_all(backend: Any, task: BatchTask, inputs: list[Path], out: Path,
            cancel: CancelToken | None = None) -> BatchSummary:
    """Run ``task`` over ``inputs`` into ``out`` to the end (or the cancel); the summary of what happened."""
    summary = BatchSummary()
    with ResultFile(out, task.task_id, task.answer_columns()) as results:
        for outcome in run_batch(backend, task, collect_images(inputs), results, cancel):
            summary.add(outcome)
    return summary


def stop_after(backend: Any, folder: Path, out: Path, n: int) -> None:
    """Run ``TASK`` over ``folder`` into ``out``, stopping after ``n`` outcomes (closing the stream stops the rest)."""
    with ResultFile(out, TASK.task_id) as results:
        stream = run_batch(backend, TASK, collect_images([folder]), results)
        for count, _ in enumerate(stream, 1):
            if count == n:
                break
        stream.close()
