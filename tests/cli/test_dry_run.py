"""``visiondesk ask --dry-run``: what the model will see, without an answer."""

from __future__ import annotations

import json
import re
from pathlib import Path

from PIL import Image

from tests.cli.test_chat_commands import model_args, stats_lines, visiondesk
from tests.model_factory import GeneratedModels


def test_dry_run_prints_each_image_and_the_context_use(test_models: GeneratedModels, tmp_path: Path) -> None:
    photo, scan = tmp_path / "photo.png", tmp_path / "scan.jpg"
    Image.new("RGB", (50, 40), (90, 20, 200)).save(photo)
    Image.new("RGB", (300, 200), (200, 200, 200)).save(scan)
    args = model_args(test_models, "--image", str(photo), "--image", str(scan))
    r = visiondesk("ask", *args, "--dry-run", "Compare these.")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    print("\n" + r.stdout)
    assert len(lines) == 3
    assert lines[0].startswith("image 1: ") and "photo.png" in lines[0] and "read as 32×32" in lines[0]
    assert lines[1].startswith("image 2: ") and "scan.jpg" in lines[1]
    m = re.match(r"prompt: (\d+) tokens \((\d+) of text\) of a 1,024-token context \((\d+)%\)", lines[2])
    assert m, lines[2]
    planned = int(m.group(1))
    assert "[writing]" not in r.stderr  # nothing was generated
    # The same question answered: the engine evaluates exactly the planned prompt.
    r = visiondesk("ask", *args, "--max-tokens", "2", "--stats", "Compare these.")
    assert r.returncode == 0, r.stderr
    assert stats_lines(r.stderr)[0]["prompt_tokens"] == planned, json.dumps(stats_lines(r.stderr))


def test_dry_run_refuses_what_the_answer_would_refuse(test_models: GeneratedModels, tmp_path: Path) -> None:
    r = visiondesk("ask", *model_args(test_models, "--image", str(tmp_path / "gone.png")), "--dry-run", "hi")
    assert r.returncode == 2 and "gone.png" in r.stderr and "Traceback" not in r.stderr
