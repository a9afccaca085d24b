"""Closing the engine from another thread while it works, and the engine process ending with its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from visiondesk.engine import Finished, Message, SamplingParams, StopReason, TextDelta
from visiondesk.engine.errors import EngineClosed
from visiondesk.engine.llama import LocalEngine

from tests.engine.conftest import process_gone, run, spec, wait_gone
from tests.model_factory import GeneratedModels

LONG = SamplingParams(temperature=0, max_tokens=200_000, repeat_penalty=1.0)  # ~4000 tokens at n_ctx 4096
CLOSE_BOUND_S = 2.0


def test_close_from_another_thread_while_an_answer_streams(test_models: GeneratedModels) -> None:
    e = LocalEngine()
    e.load(spec(test_models, n_ctx=4096))
    pid = e.pid
    assert pid is not None
    events: list[object] = []
    raised: list[BaseException] = []
    streaming = threading.Event()

    def answer() -> None:  # the engine's own thread
        try:
            for ev in e.chat([Message.user("Write forever")], LONG):
                events.append(ev)
                if isinstance(ev, TextDelta):
                    streaming.set()
        except BaseException as exc:  # any exception at all is a failure of this test
            raised.append(exc)

    worker = threading.Thread(target=answer)
    worker.start()
    assert streaming.wait(60)
    t0 = time.monotonic()
    e.close()  # from this (another) thread, while the worker reads the pipe
    worker.join(CLOSE_BOUND_S)
    ended_s = time.monotonic() - t0
    assert not worker.is_alive() and not raised
    assert ended_s < CLOSE_BOUND_S
    fin = events[-1]
    assert isinstance(fin, Finished) and fin.stop_reason is StopReason.CANCELLED and fin.error is None
    assert sum(isinstance(ev, Finished) for ev in events) == 1
    assert wait_gone(pid, 2) and e.pid is None
    _, refused, _ = run(e, [Message.user("Still there?")])  # closed means closed, until the next load
    assert refused.stop_reason is StopReason.ERROR and isinstance(refused.error, EngineClosed)
    assert e.pid is None
    e.load(spec(test_models))  # an explicit load after close starts over
    assert run(e, [Message.user("Back?")])[1].error is None
    e.close()


def test_close_from_another_thread_while_a_load_waits(test_models: GeneratedModels) -> None:
    """A load blocked on a process that does not answer (held with SIGSTOP) ends at once with EngineClosed."""
    e = LocalEngine()
    e.load(spec(test_models))
    pid = e.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    raised: list[BaseException] = []

    def load() -> None:
        try:
            e.load(spec(test_models))
        except BaseException as exc:
            raised.append(exc)

    worker = threading.Thread(target=load)
    worker.start()
    time.sleep(0.3)  # the load request is in flight
    t0 = time.monotonic()
    e.close()
    worker.join(CLOSE_BOUND_S)
    assert not worker.is_alive() and time.monotonic() - t0 < CLOSE_BOUND_S
    assert len(raised) == 1 and isinstance(raised[0], EngineClosed)
    assert "closed while loading the model" in str(raised[0])
    assert wait_gone(pid, 2)


def test_a_process_started_from_a_thread_that_ended_keeps_running(test_models: GeneratedModels) -> None:
    """Linux kills a child whose parent *thread* exits (PR_SET_PDEATHSIG): the engine starts it elsewhere."""
    with LocalEngine() as e:
        starter = threading.Thread(target=e.load, args=(spec(test_models),))
        starter.start()
        starter.join()
        pid = e.pid
        assert pid is not None
        time.sleep(0.5)
        assert not process_gone(pid)
        assert run(e, [Message.user("Still there?")])[1].error is None and e.pid == pid


PARENT = """
import sys, time
from pathlib import Path
from visiondesk.engine import ModelSpec
from visiondesk.engine.llama import LocalEngine
engine = LocalEngine()
engine.load(ModelSpec(model=Path(sys.argv[1]), n_ctx=256, threads=1))
print(engine.pid, flush=True)
time.sleep(300)
"""

POLLING_PARENT = """
import os, subprocess, sys, time
watched = subprocess.Popen([sys.executable, "-c", sys.argv[1], str(os.getpid())])
print(watched.pid, flush=True)
time.sleep(300)
"""

POLLED_CHILD = """
import sys, threading, time
from visiondesk.engine.parent_watch import _poll_parent
threading.Thread(target=_poll_parent(int(sys.argv[1])), daemon=True).start()
time.sleep(300)
"""


def kill_parent_and_time_the_child(args: list[str]) -> float:
    """Start ``python -c ARGS...`` (it prints its child's pid), SIGKILL it; seconds until the child is gone."""
    parent = subprocess.Popen([sys.executable, "-c", *args], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        time.sleep(0.2)
        assert not process_gone(pid)
        parent.kill()
        parent.wait(10)
        t0 = time.monotonic()
        gone = wait_gone(pid, 5)
        elapsed = time.monotonic() - t0
        if not gone:
            os.kill(pid, signal.SIGKILL)
        return elapsed
    finally:
        parent.kill()
        parent.wait(10)
        if parent.stdout is not None:
            parent.stdout.close()


def test_the_engine_process_ends_with_its_parent(test_models: GeneratedModels) -> None:
    assert kill_parent_and_time_the_child([PARENT, str(test_models.model)]) < 2.0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fallback is what other systems use anyway")
def test_the_polling_fallback_ends_with_its_parent_too() -> None:
    """What macOS and other POSIX systems use (no PR_SET_PDEATHSIG), exercised here on Linux."""
    assert kill_parent_and_time_the_child([POLLING_PARENT, POLLED_CHILD]) < 2.0

