"""A long conversation in the window: how fast it opens, how smoothly it scrolls, how soon the window is usable.

- open: 500 messages (250 questions, 250 Markdown answers) with 100 images, from the click in the sidebar to
  the transcript laid out (every queued event handled). Target <= 300 ms.
- scroll: the transcript scrolled from the newest message up to the first (400 px every 16 ms, earlier messages
  getting their views on the way) and back down in 60 steps, while a 5 ms PreciseTimer measures the event
  loop's lateness (as ui_responsiveness.py does while streaming). Target p99 < 16 ms, max < 50 ms.
- launch: a fresh process from its start to the window shown and the event loop idle, with the data folder
  of the long conversation. Target <= 1 s.

Run: ``.venv/bin/python bench/ui_scale.py`` (offscreen by default).
"""

from __future__ import annotations

import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image  # noqa: E402
from PySide6.QtCore import QCoreApplication, QEventLoop, Qt, QTimer  # noqa: E402
from visiondesk.desktop.app import make_application  # noqa: E402

PROBE_MS = 5
MESSAGES = 500
IMAGES = 100
ANSWER = """The picture shows **{i} items** on a table.

| thing | count |
|---|---|
| cups | {i} |
| plates | 3 |

- a short list item
- another one with `code`
"""


def fill(data: Path) -> int:
    """A conversation of MESSAGES messages with IMAGES images; returns its id."""
    from visiondesk.core.paths import DataPaths
    from visiondesk.core.store import ConversationStore

    paths = DataPaths.at(data).create()
    store = ConversationStore(paths.conversations_db, paths.attachments)
    pictures = []
    for i in range(10):  # ten distinct pictures, each attached ten times (the store keeps one copy of each)
        p = data.parent / f"picture{i}.png"
        Image.new("RGB", (640, 480), (20 * i, 120, 200 - 15 * i)).save(p)
        pictures.append(p)
    conv = store.create_conversation("A very long conversation")
    per_question = IMAGES / (MESSAGES // 2)
    attached = 0.0
    for i in range(MESSAGES // 2):
        attached += per_question
        n = int(attached)
        attached -= n
        store.add_message(conv.id, "user", f"Question {i}: what is on this table?",
                          [pictures[(i + k) % 10] for k in range(n)])
        store.add_message(conv.id, "assistant", ANSWER.format(i=i), stats={
            "stop_reason": "end", "ttft_ms": 300.0, "decode_tok_s": 30.0, "completion_tokens": 60,
            "prompt_tokens": 100 + i})
    store.close()
    return conv.id


def settle() -> None:
    """Handle every queued event (layout, deferred deletes) until nothing is left."""
    for _ in range(5):
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents)
        QCoreApplication.sendPostedEvents(None, 0)


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def launch_time(data: Path) -> float:
    """Seconds from a fresh process's start to its window shown and its event loop idle."""
    code = ("import time, os; t0 = float(os.environ['T0']);\n"
            "from visiondesk.desktop.app import make_application\n"
            "from PySide6.QtCore import QTimer\n"
            "app = make_application([])\n"
            "from visiondesk.desktop.shell import AppShell\n"
            "shell = AppShell()\nshell.window.show()\n"
            "QTimer.singleShot(0, lambda: (print(time.time() - t0, flush=True), shell.shutdown(), app.quit()))\n"
            "app.exec()\n")
    env = {**os.environ, "VISIONDESK_DATA_DIR": str(data), "T0": repr(time.time())}
    env["T0"] = repr(time.time())
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> int:
    """Measure and print a Markdown table."""
    work = Path(tempfile.mkdtemp(prefix="vd-bench-scale-"))
    data = work / "data"
    conv = fill(data)
    from visiondesk.core.settings import Settings, SettingsRepository

    SettingsRepository(data / "settings.json").save(Settings(language="en", theme="light"))
    launches = [launch_time(data) for _ in range(3)]
    app = make_application([])
    from visiondesk.desktop.shell import AppShell

    shell = AppShell(data)
    shell.window.resize(1100, 760)
    shell.window.show()
    settle()
    opens = []
    for _ in range(3):
        shell.conversations.new_chat()
        settle()
        t0 = time.perf_counter()
        shell.conversations.select(conv)
        settle()
        opens.append((time.perf_counter() - t0) * 1000)
    opened_with = len(shell.window.transcript.messages())
    bar = shell.window.transcript.verticalScrollBar()
    bar.setValue(bar.maximum())
    settle()
    up: list[float] = []
    down: list[float] = []
    last = [0.0]

    def tick() -> None:
        now = time.perf_counter()
        if last[0]:
            (up if position[0] < 0 else down).append(max(0.0, (now - last[0]) * 1000 - PROBE_MS))
        last[0] = now

    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(PROBE_MS)
    probe.timeout.connect(tick)
    steps = 60
    stepper = QTimer()
    stepper.setInterval(16)
    position = [-1]  # -1: still scrolling up

    def step() -> None:
        if position[0] < 0:
            if bar.value() > 0 or shell.presenter.earlier_count():
                bar.setValue(max(0, bar.value() - 400))
                return
            position[0] = 0
        position[0] += 1
        bar.setValue(bar.maximum() * position[0] // steps)
        if position[0] >= steps:
            stepper.stop()
            probe.stop()
            app.quit()

    stepper.timeout.connect(step)
    probe.start()
    stepper.start()
    app.exec()
    shown = len(shell.window.transcript.messages())
    decoded = shell.presenter.thumbnails.decoded
    shell.shutdown()
    print(f"{MESSAGES} messages, {IMAGES} images; {opened_with} views made at open, {shown} after scrolling to the "
          f"top; {decoded} thumbnails decoded; scroll range {bar.maximum()} px; {len(up) + len(down)} probes\n")
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| open the conversation (median of 3) | {statistics.median(opens):.0f} ms | <= 300 ms |")
    for name, lateness in (("scroll up, views made on the way", up), ("scroll down, all views made", down)):
        print(f"| {name}: event-loop lateness p50 | {statistics.median(lateness):.2f} ms | |")
        print(f"| {name}: event-loop lateness p99 | {percentile(lateness, 0.99):.2f} ms | < 16 ms |")
        print(f"| {name}: event-loop lateness max | {max(lateness):.2f} ms | < 50 ms |")
    print(f"| launch to usable window (median of 3) | {statistics.median(launches) * 1000:.0f} ms | <= 1000 ms |")
    print(f"\n{datetime.date.today().isoformat()}, Qt offscreen, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
