"""How late the Qt event loop runs while an answer streams (real engine, tiny chatty model).

A precise QTimer fires every 5 ms; lateness = (time between firings) - 5 ms. Target: p99 < 16 ms,
max < 50 ms. Run: ``.venv/bin/python bench/ui_responsiveness.py [--tokens 2000]`` (offscreen by default).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt, QTimer  # noqa: E402
from visiondesk.desktop.app import make_application  # noqa: E402

PROBE_MS = 5


def _model_factory():
    path = Path(__file__).resolve().parents[1] / "tests" / "model_factory.py"
    spec = importlib.util.spec_from_file_location("bench_model_factory", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=2000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="vd-bench-ui-"))
    models = _model_factory().write_test_models(work / "models")
    os.environ["VISIONDESK_DATA_DIR"] = str(work / "data")
    from visiondesk.core.settings import Settings, SettingsRepository
    from visiondesk.desktop.shell import AppShell

    s = Settings(model_path=str(models.model), mmproj_path=str(models.mmproj), language="en",
                 theme="light", max_tokens=args.tokens, context_size=4096, temperature=0.7)
    SettingsRepository(work / "data" / "settings.json").save(s)
    app = make_application([])
    shell = AppShell(work / "data")
    shell.window.show()
    lateness: list[float] = []
    result: dict[str, object] = {}
    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(PROBE_MS)
    last = [0.0]

    def tick() -> None:
        now = time.perf_counter()
        if last[0]:
            lateness.append(max(0.0, (now - last[0]) * 1000 - PROBE_MS))
        last[0] = now

    probe.timeout.connect(tick)

    def start() -> None:
        picture = work / "photo.png"
        from PIL import Image

        Image.new("RGB", (640, 480), "orange").save(picture)
        shell.composer.add_files([picture])
        shell.window.composer.edit.setPlainText("Describe this image in detail.")
        QTimer.singleShot(300, lambda: (last.__setitem__(0, 0.0), probe.start(), shell.composer.submit()))

    def done(fin: object) -> None:
        probe.stop()
        result["fin"] = fin
        app.quit()

    shell.model.loaded.connect(lambda _r: start())
    shell.chat.answer_finished.connect(done)
    app.exec()
    shell.shutdown()
    fin = result["fin"]
    tokens = fin.usage.completion_tokens  # type: ignore[attr-defined]
    print(f"Answer: {tokens} tokens, stop={fin.stop_reason}, "  # type: ignore[attr-defined]
          f"{fin.timings.decode_tok_s:.0f} tokens/s; {len(lateness)} probes\n")  # type: ignore[attr-defined]
    print("| metric | lateness (ms) | target |")
    print("|---|---|---|")
    print(f"| p50 | {statistics.median(lateness):.2f} | |")
    print(f"| p99 | {percentile(lateness, 0.99):.2f} | < 16 |")
    print(f"| max | {max(lateness):.2f} | < 50 |")
    print(f"\n{datetime.date.today().isoformat()}, Qt offscreen, {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
