"""The engine's process flushes denormal floats to zero; ``Tuning(flush_denormals=False)`` keeps IEEE.

Each check runs in a fresh interpreter: the setting is per thread and would otherwise leak into the
test process.
"""

from __future__ import annotations

import subprocess
import sys

from visiondesk.engine import Tuning
from visiondesk.engine.llama import LocalEngine

from tests.engine.conftest import spec
from tests.model_factory import GeneratedModels

PROBE = """
import sys, threading
from visiondesk.engine.llama.worker.denormals import denormals_flushed, flush_denormals
before = denormals_flushed()
ok = flush_denormals(sys.argv[1] == "1")
later = []
t = threading.Thread(target=lambda: later.append(denormals_flushed()))
t.start(); t.join()
tiny = sys.float_info.min
print(before, ok, denormals_flushed(), later[0], tiny / 4.0 == 0.0, tiny * 2.0 > 0.0)
"""


def probe(enabled: bool) -> list[str]:
    out = subprocess.run([sys.executable, "-c", PROBE, "1" if enabled else "0"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_flushing_applies_to_the_thread_and_threads_started_after_it() -> None:
    before, ok, now, later, tiny_gone, normal_kept = probe(True)
    assert before == "False"  # the IEEE default: a quarter of the smallest normal float is not zero
    assert ok == now == later == tiny_gone == normal_kept == "True"


def test_switched_off_by_the_setting() -> None:
    assert probe(False) == ["False", "False", "False", "False", "False", "True"]


def test_the_engine_child_reports_it(test_models: GeneratedModels) -> None:
    """Flushing by default; the load request's tuning turns it off, in a new engine process (it is fixed at start)."""
    with LocalEngine() as eng:
        assert eng.system_info()["denormals_flushed"] is True
        pid = eng.pid
        eng.load(spec(test_models, tuning=Tuning(flush_denormals=False)))
        assert eng.system_info()["denormals_flushed"] is False
        assert eng.pid != pid
        pid = eng.pid
        eng.load(spec(test_models))
        assert eng.system_info()["denormals_flushed"] is True
        assert eng.pid != pid
