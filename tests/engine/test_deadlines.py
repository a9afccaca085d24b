"""A silent engine process is declared hung within its deadline plus a second, killed, and replaced.

SIGSTOP freezes the real engine process: from the parent's side it is exactly a process that stopped
answering (a driver hang, a swap storm). Deadlines are short here; the product's are minutes.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from visiondesk.engine import EngineCrashed, Finished, Message, ModelSpec, SamplingParams, StopReason, TextDelta
from visiondesk.engine.errors import EngineHung
from visiondesk.engine.llama import Deadlines, LocalEngine

from tests.engine.conftest import run, spec, wait_gone
from tests.model_factory import GeneratedModels

SHORT = Deadlines(load_s=1.5, request_s=1.5, silence_s=1.5)
LONG = SamplingParams(temperature=0, max_tokens=200_000, repeat_penalty=1.0)  # ~4000 tokens at n_ctx 4096


def test_silent_during_an_answer(test_models: GeneratedModels) -> None:
    with LocalEngine(deadlines=SHORT) as e:
        e.load(spec(test_models, n_ctx=4096))
        pid = e.pid
        assert pid is not None
        events: list[object] = []
        stopped_at = 0.0
        for ev in e.chat([Message.user("Write forever")], LONG):
            events.append(ev)
            if isinstance(ev, TextDelta) and not stopped_at:
                os.kill(pid, signal.SIGSTOP)
                stopped_at = time.monotonic()
        fin = events[-1]
        assert isinstance(fin, Finished) and fin.stop_reason is StopReason.ERROR
        assert isinstance(fin.error, EngineHung)
        assert "stopped answering while writing the answer" in str(fin.error)
        assert "1.5 s" in str(fin.error) and "try again" in str(fin.error)
        assert fin.t - stopped_at <= SHORT.silence_s + 1.0
        assert wait_gone(pid, 2)
        assert e.pid is None
        text, after, _ = run(e, [Message.user("Are you back?")])  # a fresh process, the model loaded again
        assert after.error is None and text and e.pid not in (None, pid)


@pytest.mark.parametrize("call,doing,deadline", [
    ("load", "loading the model", SHORT.load_s),
    ("system_info", "reading system information", SHORT.request_s),
    ("reset_conversation", "resetting", SHORT.request_s),
])
def test_silent_during_a_request(call: str, doing: str, deadline: float, test_models: GeneratedModels) -> None:
    with LocalEngine(deadlines=SHORT) as e:
        e.load(spec(test_models))
        pid = e.pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        t0 = time.monotonic()
        with pytest.raises(EngineHung, match=f"stopped answering while {doing}"):
            getattr(e, call)(*([spec(test_models)] if call == "load" else []))
        assert time.monotonic() - t0 <= deadline + 1.0
        assert wait_gone(pid, 2)
        assert e.load(spec(test_models)).vision  # the next request works, on a fresh process
        assert e.pid not in (None, pid)
        assert e.system_info()["llama_cpp_python"]
        _, fin, _ = run(e, [Message.user("Hello?")])
        assert fin.error is None


def test_killed_while_loading_then_the_next_load_works(test_models: GeneratedModels) -> None:
    """SIGKILL lands while the load request is in flight (the process is held still so that it surely does)."""
    with LocalEngine() as e:
        e.load(spec(test_models))
        pid = e.pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        killer = threading.Timer(0.3, os.kill, (pid, signal.SIGKILL))
        killer.start()
        with pytest.raises(EngineCrashed, match="killed by signal SIGKILL while loading the model"):
            e.load(spec(test_models))
        killer.join()
        assert e.pid is None and e.load(spec(test_models)).n_ctx == 1024
        assert e.pid not in (None, pid)
        _, fin, _ = run(e, [Message.user("Hello again")])
        assert fin.error is None


def test_long_native_work_is_not_silence(medium_models: tuple[Path, Path]) -> None:
    """Reading a long prompt is one native call per 2048 tokens, with no message of its own. The process says
    it is still working (``Alive``, from llama.cpp's callbacks), so a silence deadline shorter than the read
    does not stop it, while a frozen process is still caught (above)."""
    model, _ = medium_models
    deadlines = Deadlines(silence_s=1.0)  # four Alive periods: a busy machine can starve the callbacks a while
    with LocalEngine(deadlines=deadlines) as e:
        e.load(ModelSpec(model=model, n_ctx=12288, threads=1))  # ~11,600 prompt tokens: seconds even when idle
        _, fin, _ = run(e, [Message.user("the " * 2900)], SamplingParams(temperature=0, max_tokens=2))
        assert fin.error is None and fin.stop_reason is StopReason.LENGTH
        assert fin.timings.prompt_ms > 2 * 1000 * deadlines.silence_s  # the read outlasted the deadline
