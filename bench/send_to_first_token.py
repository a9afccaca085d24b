"""Time from Send to the first token with a 12-megapixel photo attached, in the real window (offscreen).

    python bench/send_to_first_token.py [--rounds 5] [--json OUT.json]

Drives ``AppShell`` the way a person does: a new conversation, a photo attached (the composer checks it),
then Send; measured from ``composer.submit()`` to the first text the engine thread reports, and the time
the attach took before it. The model is the tests' generated pair (a 32-pixel projector), so what is
measured is the image's way from the window to the engine process, not the encoder. Each round uses
another photo (other pixels: nothing is cached). Runs unchanged on the code before the one-identity
change (be3d6be): run it from that checkout with its own environment to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path.cwd()
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402


def photo(path: Path, seed: int, size: tuple[int, int] = (4000, 3000)) -> Path:
    """A 12-megapixel JPEG with photo-like detail (smooth shapes plus sensor noise), ~3-6 MB."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    base = np.asarray(Image.fromarray(small).resize(size, Image.Resampling.BICUBIC), dtype=np.int16)
    noise = rng.integers(-12, 13, base.shape, dtype=np.int16)
    Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).save(path, quality=90)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from PySide6.QtCore import QCoreApplication
    from PySide6.QtWidgets import QApplication

    from tests import model_factory
    from tests.desktop.conftest import write_settings

    work = Path(tempfile.mkdtemp(prefix="vd-send-bench-"))
    models = model_factory.write_test_models(work / "models")
    photos = [photo(work / f"photo{i}.jpg", i) for i in range(args.rounds + 1)]
    data = work / "data"
    os.environ["VISIONDESK_DATA_DIR"] = str(data)
    write_settings(data, model_path=str(models.model), mmproj_path=str(models.mmproj), max_tokens=8,
                   threads=1)
    app = QApplication.instance() or QApplication([])
    from visiondesk.desktop.shell import AppShell

    shell = AppShell(data)
    shell.window.show()

    def wait(predicate, timeout: float = 120.0) -> None:  # type: ignore[no-untyped-def]
        end = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > end:
                raise TimeoutError("the window did not get there in time")
            QCoreApplication.processEvents()
            time.sleep(0.001)

    wait(lambda: shell.model.state in ("loaded", "failed"))
    assert shell.model.state == "loaded"
    first_text: list[float] = []
    finished: list[object] = []
    shell.engine.worker.text.connect(lambda *_: first_text.append(time.perf_counter()))
    shell.chat.answer_finished.connect(finished.append)
    rows = []
    for i, path in enumerate(photos):
        shell.chat.open_conversation(None)
        t_attach = time.perf_counter()
        shell.composer.add_files([path])
        wait(lambda: len(shell.composer.pending) == 1)
        attach_s = time.perf_counter() - t_attach
        shell.window.composer.edit.setPlainText("What is in this photo?")
        first_text.clear()
        done = len(finished)
        t0 = time.perf_counter()
        shell.composer.submit()
        wait(lambda: bool(first_text))
        ttft_s = first_text[0] - t0
        wait(lambda done=done: len(finished) > done)
        if i == 0:
            continue  # the first round warms the engine process up
        rows.append({"attach_ms": attach_s * 1000, "send_to_first_token_ms": ttft_s * 1000})
        print(f"round {i}: attach {attach_s * 1000:.0f} ms, Send -> first token {ttft_s * 1000:.0f} ms", flush=True)
    shell.shutdown()
    app.processEvents()
    summary = {"rounds": rows,
               "median_attach_ms": statistics.median(r["attach_ms"] for r in rows),
               "median_send_to_first_token_ms": statistics.median(r["send_to_first_token_ms"] for r in rows)}
    print(f"median: attach {summary['median_attach_ms']:.0f} ms, "
          f"Send -> first token {summary['median_send_to_first_token_ms']:.0f} ms")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
