"""Thread counts: chosen by measurement when not configured, kept when configured."""

from __future__ import annotations

from visiondesk.engine import Message
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.llama.worker.thread_tuning import candidates

from tests.engine.conftest import run, spec
from tests.model_factory import GeneratedModels


def test_candidates_start_from_physical_cores() -> None:
    assert candidates(8, 16) == [8, 7, 4, 1, 16]
    assert candidates(2, 2) == [2, 1]
    assert candidates(1, 1) == [1]


def test_unset_threads_are_measured_at_load(test_models: GeneratedModels) -> None:
    with LocalEngine() as e:
        result = e.load(spec(test_models, threads=None))
        assert result.threads_note.startswith("measured at load")
        assert result.threads >= 1 and result.threads_batch >= 1
        assert run(e, [Message.user("hello")])[1].error is None


def test_configured_threads_are_kept(test_models: GeneratedModels) -> None:
    with LocalEngine() as e:
        result = e.load(spec(test_models, threads=1))
        assert (result.threads, result.threads_batch, result.threads_note) == (1, 1, "as configured")
