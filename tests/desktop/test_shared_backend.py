"""SharedEngineBackend: other threads' chats run on the window's one engine thread, in turn, and stop when told.

Real EngineThread, real LocalEngine on a generated model wide enough (~100 tokens/s on one shared core)
that the window's answer is still running when the other thread's request arrives.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from visiondesk.engine import EngineEvent, Finished, Message, ModelSpec, SamplingParams, StopReason, TextDelta
from visiondesk.engine.llama import LocalEngine

from tests.model_factory import TextShape, write_mmproj, write_text_model

LONG = SamplingParams(temperature=0.0, max_tokens=3500)  # ~10 s at this model's ~340 tokens/s, unloaded


@pytest.fixture(scope="module")
def slow_spec(tmp_path_factory: pytest.TempPathFactory) -> ModelSpec:
    d = tmp_path_factory.mktemp("slow-shared")
    model = write_text_model(d / "slow-chat.gguf", shape=TextShape(n_embd=320, n_layer=4, n_head=4, n_ff=960))
    return ModelSpec(model=model, mmproj=write_mmproj(d / "slow-mmproj.gguf", projection_dim=320), n_ctx=4096,
                     threads=1)


@pytest.fixture
def engine(qtbot, slow_spec: ModelSpec, tmp_path: Path) -> Iterator:
    from visiondesk.desktop.worker import EngineThread

    thread = EngineThread(lambda _target: LocalEngine(log_dir=tmp_path / "logs"))
    with qtbot.waitSignal(thread.worker.loaded, timeout=60_000):
        thread.load(slow_spec)
    yield thread
    assert thread.stop()


def collect(events: Iterator[EngineEvent], out: list[EngineEvent]) -> None:
    for event in events:
        out.append(event)


def test_a_request_behind_the_windows_answer_waits_then_runs_on_the_engine_thread(qtbot, engine) -> None:
    from visiondesk.desktop.shared_backend import SharedEngineBackend

    shared = SharedEngineBackend(engine)
    assert shared.info is not None and shared.info.model_name == "slow-chat"
    window_id = engine.chat([Message.user("A long window answer")], SamplingParams(temperature=0.0, max_tokens=60))
    window_done: list[Finished] = []
    engine.worker.finished.connect(lambda rid, fin: rid == window_id and window_done.append(fin))
    events: list[EngineEvent] = []
    other = threading.Thread(target=collect, args=(shared.chat([Message.user("API")], SamplingParams(
        temperature=0.0, max_tokens=5)), events))
    other.start()
    qtbot.waitUntil(lambda: not other.is_alive() and bool(window_done), timeout=60_000)
    assert window_done[0].t <= events[0].t, "the window's answer, queued first, ended before the other began"
    final = events[-1]
    assert isinstance(final, Finished) and final.error is None and final.usage.completion_tokens == 5
    assert sum(isinstance(e, TextDelta) for e in events) >= 1


def test_cancelled_while_queued_returns_at_once_and_never_runs(qtbot, engine) -> None:
    from visiondesk.desktop.shared_backend import SharedEngineBackend
    from visiondesk.engine import CancelToken

    shared = SharedEngineBackend(engine)
    window_id = engine.chat([Message.user("Keep the engine busy")], LONG)
    cancel = CancelToken()
    events: list[EngineEvent] = []
    other = threading.Thread(target=collect, args=(shared.chat([Message.user("API")], LONG, cancel), events))
    other.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    cancel.cancel()
    other.join(5)
    assert not other.is_alive() and time.monotonic() - t0 < 1.0
    assert [type(e) for e in events] == [Finished] and events[0].stop_reason is StopReason.CANCELLED  # type: ignore[union-attr]
    with qtbot.waitSignal(engine.worker.finished, timeout=30_000):
        engine.cancel(window_id)


def test_closing_the_generator_stops_the_running_answer(qtbot, engine) -> None:
    """What Pause does to the image being answered, and what the API does for a client that went away."""
    from visiondesk.desktop.shared_backend import SharedEngineBackend

    shared = SharedEngineBackend(engine)
    stream = shared.chat([Message.user("A very long answer")], LONG)
    for event in stream:
        if isinstance(event, TextDelta):
            break
    t0 = time.monotonic()
    stream.close()  # type: ignore[attr-defined]
    # the engine thread is free again soon: the window's next answer starts and ends normally
    with qtbot.waitSignal(engine.worker.finished, timeout=30_000) as done:
        engine.chat([Message.user("Next")], SamplingParams(temperature=0.0, max_tokens=4))
    assert done.args[1].error is None and done.args[1].usage.completion_tokens == 4
    assert time.monotonic() - t0 < 5.0, "the long answer was cut, not run to its 3500 tokens"


def test_after_the_engine_thread_stopped_a_request_is_refused(qtbot, engine) -> None:
    from visiondesk.desktop.shared_backend import SharedEngineBackend

    assert engine.stop()
    events = list(SharedEngineBackend(engine).chat([Message.user("Too late")]))
    assert len(events) == 1 and isinstance(events[0], Finished) and events[0].error is not None
    assert "closed" in str(events[0].error)


@pytest.fixture
def slotted(qtbot, slow_spec: ModelSpec, tmp_path: Path) -> Iterator:
    """The slow model with two parallel sequences, on a real engine thread."""
    import dataclasses

    from visiondesk.desktop.worker import EngineThread

    thread = EngineThread(lambda _target: LocalEngine(log_dir=tmp_path / "logs"))
    with qtbot.waitSignal(thread.worker.loaded, timeout=60_000):
        thread.load(dataclasses.replace(slow_spec, n_ctx=1024, parallel=2))
    yield thread
    assert thread.stop()


def test_a_parallel_job_pulls_its_requests_on_the_callers_thread_and_ends_each_once(qtbot, slotted) -> None:
    from visiondesk.desktop.shared_backend import SharedEngineBackend
    from visiondesk.engine import ParallelRequest

    shared = SharedEngineBackend(slotted)
    assert shared.parallel_slots == 2
    pulled_on: list[str] = []

    def requests() -> Iterator[ParallelRequest]:
        for key in range(5):
            pulled_on.append(threading.current_thread().name)
            yield ParallelRequest(key, [Message.user(f"Question {key}")], SamplingParams(temperature=0.0,
                                                                                       max_tokens=3 + key))
    finals: dict[int, Finished] = {}

    def run() -> None:
        for key, event in shared.chat_parallel(requests()):
            if isinstance(event, Finished):
                assert key not in finals, f"request {key} ended twice"
                finals[key] = event

    job = threading.Thread(target=run, name="batch-caller")
    job.start()
    qtbot.waitUntil(lambda: not job.is_alive(), timeout=60_000)
    assert sorted(finals) == list(range(5)) and all(f.error is None for f in finals.values())
    assert [finals[k].usage.completion_tokens for k in range(5)] == [3, 4, 5, 6, 7]
    assert set(pulled_on) == {"batch-caller"}, "never pulled on the engine thread"


def test_a_parallel_job_gives_way_to_the_window_and_stops_when_its_reader_does(qtbot, slotted) -> None:
    from visiondesk.desktop.shared_backend import SharedEngineBackend
    from visiondesk.engine import ParallelRequest

    shared = SharedEngineBackend(slotted)
    long = [ParallelRequest(k, [Message.user(f"Long {k}")], SamplingParams(temperature=0.0, max_tokens=400))
            for k in range(40)]
    answered: list[int] = []
    window: list[tuple[Finished, int]] = []  # the window's answer, and how many of the job's had ended by then
    slotted.worker.finished.connect(lambda _rid, fin: window.append((fin, len(answered))))
    stream = shared.chat_parallel(long)
    running = threading.Event()

    def run() -> None:
        for key, event in stream:
            running.set()
            if isinstance(event, Finished):
                answered.append(key)
                if window:  # stop reading, as Pause does
                    break
        stream.close()  # type: ignore[attr-defined]

    job = threading.Thread(target=run)
    job.start()
    qtbot.waitUntil(running.is_set, timeout=30_000)
    slotted.chat([Message.user("Window")], SamplingParams(temperature=0.0, max_tokens=4))
    qtbot.waitUntil(lambda: bool(window), timeout=60_000)
    fin, job_done_before = window[0]
    assert fin.error is None and fin.usage.completion_tokens == 4
    assert job_done_before <= 4, "the window waited for the requests in the slots (and those read ahead), not all 40"
    t0 = time.monotonic()
    qtbot.waitUntil(lambda: not job.is_alive(), timeout=30_000)
    assert len(answered) < 40 and time.monotonic() - t0 < 10.0, "closing the stream cancelled the rest"
