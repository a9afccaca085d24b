"""The batch process SIGKILLed at random moments, ten times, then resumed: every image answered exactly once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.batch.conftest import make_images

KILLS = 10


def command(models: tuple[Path, Path], folder: Path, out: Path, parallel: int) -> list[str]:
    return [sys.executable, "-m", "visiondesk", "batch", "--model", str(models[0]), "--mmproj", str(models[1]),
            "--preset", "receipt", "--temperature", "0.8", "--seed", "5", "--max-tokens", "200", "--threads", "1",
            "--parallel", str(parallel), "--no-progress", str(folder), "--out", str(out)]


def lines_in(out: Path) -> int:
    return out.read_bytes().count(b"\n") if out.exists() else 0


# One sequence, and four parallel sequences of one model (rows then come in bursts: more images, so that
# ten kills still find some left).
@pytest.mark.parametrize(("parallel", "count"), [(1, 40), (4, 80)])
def test_killed_ten_times_then_resumed(json_models: tuple[Path, Path], tmp_path: Path, parallel: int,
                                       count: int) -> None:
    rng = random.Random(2026)
    make_images(tmp_path / "in", count)
    out = tmp_path / "results.jsonl"
    cmd = command(json_models, tmp_path / "in", out, parallel)
    kills = 0
    for _ in range(KILLS):
        before = lines_in(out)
        if before >= count - 1:
            break  # keep something to resume
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # A random moment while it answers: after its first new row, plus up to a few answers' time.
        wait_rows = before + 1
        deadline = time.monotonic() + 60
        while lines_in(out) < wait_rows and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.0, 0.06))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(10)
    assert kills == KILLS, "the batch finished before it could be killed often enough"
    assert lines_in(out) < count
    final = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    raw = out.read_bytes()
    assert raw.endswith(b"\n")
    rows = [json.loads(line) for line in raw.decode("utf-8").splitlines()]  # every line parses
    images = sorted(r["image"] for r in rows)
    assert images == sorted(str(p) for p in (tmp_path / "in").iterdir())  # each exactly once
    assert all(r["status"] == "ok" for r in rows)
