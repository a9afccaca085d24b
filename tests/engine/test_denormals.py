"""The engine's process flushes denormal floats to zero; ``VISIONDESK_FLUSH_DENORMALS=0`` keeps IEEE.

Each check runs in a fresh interpreter: the setting is per thread and would otherwise leak into the
test process.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from visiondesk.engine.llama import LocalEngine

PROBE = """
import sys, threading
from visiondesk.engine.llama.worker.denormals import denormals_flushed, flush_denormals
before = denormals_flushed()
ok = flush_denormals()
later = []
t = threading.Thread(target=lambda: later.append(denormals_flushed()))
t.start(); t.join()
tiny = sys.float_info.min
print(before, ok, denormals_flushed(), later[0], tiny / 4.0 == 0.0, tiny * 2.0 > 0.0)
"""


def probe(flag: str | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "VISIONDESK_FLUSH_DENORMALS"}
    if flag is not None:
        env["VISIONDESK_FLUSH_DENORMALS"] = flag
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_flushing_applies_to_the_thread_and_threads_started_after_it() -> None:
    before, ok, now, later, tiny_gone, normal_kept = probe(None)
    assert before == "False"  # the IEEE default: a quarter of the smallest normal float is not zero
    assert ok == now == later == tiny_gone == normal_kept == "True"


def test_switched_off_by_the_environment() -> None:
    assert probe("0") == ["False", "False", "False", "False", "False", "True"]


@pytest.mark.parametrize("flag,expected", [(None, True), ("0", False)])
def test_the_engine_child_reports_it(flag: str | None, expected: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if flag is None:
        monkeypatch.delenv("VISIONDESK_FLUSH_DENORMALS", raising=False)
    else:
        monkeypatch.setenv("VISIONDESK_FLUSH_DENORMALS", flag)
    with LocalEngine() as eng:
        assert eng.system_info()["denormals_flushed"] is expected
