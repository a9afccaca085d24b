"""Follow-up time to first token on the tiny generated model: a quick check of per-request overhead.

    python bench/followup_ttft.py [--follow-ups 30]

Loads the tiny chat model with its projector, asks about an image, then asks N follow-ups and prints
the first turn's and the median follow-up's time to first token. ``--device-sampling 0/1`` compares
sampling on the host and on the device (``Tuning.device_sampling``). Not a test; figures depend on the
machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402
from visiondesk.engine import Finished, Message, ModelSpec, SamplingParams, Tuning  # noqa: E402
from visiondesk.engine.llama import LocalEngine

from tests.model_factory import write_test_models  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--follow-ups", type=int, default=30)
    parser.add_argument("--device-sampling", choices=["0", "1"], help="force sampling on the host (0) or device (1)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        models = write_test_models(Path(tmp))
        image = Path(tmp) / "red.png"
        Image.new("RGB", (64, 48), (200, 30, 30)).save(image)
        sampling = SamplingParams(temperature=0, max_tokens=8, repeat_penalty=1.0)
        with LocalEngine() as engine:
            forced = None if args.device_sampling is None else args.device_sampling == "1"
            engine.load(ModelSpec(model=models.model, mmproj=models.mmproj, n_ctx=2048, threads=1,
                                  tuning=Tuning(device_sampling=forced)))
            first_turn = [Message.user("Describe this.", image)]
            first = list(engine.chat(first_turn, sampling))[-1]
            assert isinstance(first, Finished)
            ttfts = []
            for i in range(args.follow_ups):
                turns = [*first_turn, Message.assistant("ok"), Message.user(f"Question number {i}?")]
                fin = list(engine.chat(turns, sampling))[-1]
                assert isinstance(fin, Finished) and fin.error is None
                ttfts.append(fin.timings.ttft_ms)
    print(f"| first turn ttft | median follow-up ttft ({args.follow_ups}) |\n|---|---|\n"
          f"| {first.timings.ttft_ms:.2f} ms | {statistics.median(ttfts):.2f} ms |")


if __name__ == "__main__":
    main()
