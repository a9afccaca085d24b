"""``visiondesk ask``, ``chat``, ``doctor`` and ``--version`` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.model_factory import GeneratedModels

BIN = Path(sys.executable).parent / "visiondesk"
STATS_KEYS = {"ttft_ms", "prompt_tokens", "completion_tokens", "prompt_tok_s", "decode_tok_s", "stop_reason",
              "backend", "gpu_layers"}


def visiondesk(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), *args], input=stdin, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})


def model_args(m: GeneratedModels, *extra: str) -> list[str]:
    return ["--model", str(m.model), "--mmproj", str(m.mmproj), "--threads", "1", "--temperature", "0",
            "--ctx", "1024", *extra]


def stats_lines(stderr: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_ask_streams_answer_and_stats(test_models: GeneratedModels, tmp_path: Path) -> None:
    from PIL import Image

    img = tmp_path / "photo.png"
    Image.new("RGB", (50, 40), (90, 20, 200)).save(img)
    r = visiondesk("ask", *model_args(test_models, "--image", str(img), "--max-tokens", "12", "--stats"),
                   "What is in this photo?")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip()
    assert "[encoding image 1/1]" in r.stderr
    stats = stats_lines(r.stderr)
    assert len(stats) == 1 and STATS_KEYS <= set(stats[0])
    assert stats[0]["completion_tokens"] == 12 and stats[0]["stop_reason"] == "length"
    assert float(stats[0]["projector_load_ms"]) > 0, "the first image opened the projector, and says how long"  # type: ignore[arg-type]
    assert r.stderr.strip().splitlines()[-1].startswith("{")


def test_ask_bad_input_exits_2_without_traceback(test_models: GeneratedModels, tmp_path: Path) -> None:
    r = visiondesk("ask", "--model", str(tmp_path / "missing.gguf"), "hello")
    assert r.returncode == 2
    assert "missing.gguf does not exist" in r.stderr and "Traceback" not in r.stderr
    r = visiondesk("ask", *model_args(test_models, "--image", str(tmp_path / "x.png")), "hi")
    assert r.returncode == 2 and "x.png" in r.stderr and "Traceback" not in r.stderr
    r = visiondesk("ask", "--model", str(test_models.model), "--image", str(tmp_path / "x.png"), "hi")
    assert r.returncode == 2 and "without a vision projector" in r.stderr
    r = visiondesk("ask", "--model", str(test_models.model), "--mmproj", str(test_models.mismatched_mmproj), "hi")
    assert r.returncode == 2 and "does not belong" in r.stderr


def test_chat_reads_piped_stdin(test_models: GeneratedModels, tmp_path: Path) -> None:
    from PIL import Image

    img = tmp_path / "chart.png"
    Image.new("RGB", (64, 64), (10, 200, 10)).save(img)
    script = f"/image {img}\nWhat does the chart show?\nAnd the trend?\n/reset\nHello again\n"
    r = visiondesk("chat", *model_args(test_models, "--max-tokens", "6", "--stats"), stdin=script)
    assert r.returncode == 0, r.stderr
    stats = stats_lines(r.stderr)
    assert len(stats) == 3
    assert stats[0]["images_encoded"] == 1
    assert stats[1]["images_encoded"] == 0 and stats[1]["images_reused"] == 1
    assert stats[1]["prompt_tokens_evaluated"] < stats[1]["prompt_tokens"]  # the follow-up reuses turn one
    assert "[conversation reset]" in r.stderr
    assert len([line for line in r.stdout.splitlines() if line.strip()]) == 3


def test_doctor_and_version() -> None:
    r = visiondesk("doctor")
    assert r.returncode == 0, r.stderr
    assert "GPU offload: no" in r.stdout and "physical cores" in r.stdout
    doc = json.loads(visiondesk("doctor", "--json").stdout)
    assert doc["backend"] == "CPU" and any(d["kind"] == "CPU" for d in doc["devices"])
    assert doc["denormals_flushed"] is True and "denormal floats: flushed to zero" in r.stdout
    v = visiondesk("--version")
    assert v.returncode == 0 and v.stdout.startswith("visiondesk ")
    m = subprocess.run([sys.executable, "-m", "visiondesk", "--version"], capture_output=True, text=True)
    assert m.returncode == 0 and m.stdout == v.stdout


def test_ask_and_chat_take_a_pdf_as_its_pages(test_models: GeneratedModels, tmp_path: Path) -> None:
    from tests.engine.test_pdf_pages import write_pdf

    pdf = write_pdf(tmp_path / "invoice.pdf", 2, (200, 260))
    r = visiondesk("ask", *model_args(test_models, "--image", str(pdf), "--max-tokens", "4", "--stats",
                                      "--no-cache"), "What is the total?")
    assert r.returncode == 0, r.stderr
    assert "[invoice.pdf: 2 pages as images]" in r.stderr and "[encoding image 2/2]" in r.stderr
    assert stats_lines(r.stderr)[0]["images_encoded"] == 2
    script = f"/image {pdf}\nAnd the date?\n"
    r = visiondesk("chat", *model_args(test_models, "--max-tokens", "4", "--stats", "--no-cache"), stdin=script)
    assert r.returncode == 0, r.stderr
    assert "[attached invoice.pdf]" in r.stderr and stats_lines(r.stderr)[0]["images_encoded"] == 2
    long = write_pdf(tmp_path / "contract.pdf", 11, (200, 260))
    r = visiondesk("ask", *model_args(test_models, "--image", str(long), "--pages", "10-11", "--max-tokens", "2",
                                      "--stats", "--no-cache"), "Summarise")
    assert r.returncode == 0 and "[contract.pdf: 2 pages as images]" in r.stderr, r.stderr
    assert stats_lines(r.stderr)[0]["images_encoded"] == 2
    r = visiondesk("ask", *model_args(test_models, "--image", str(long), "--max-tokens", "2", "--no-cache"), "Hi")
    assert "[contract.pdf: 8 pages as images, the first 8 of 11]" in r.stderr, r.stderr
    r = visiondesk("ask", *model_args(test_models, "--image", str(long), "--pages", "12"), "Summarise")
    assert r.returncode == 2 and "“12” is not a page range of this 11-page PDF" in r.stderr
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(pdf.read_bytes()[:300])
    r = visiondesk("ask", *model_args(test_models, "--image", str(broken)), "hi")
    assert r.returncode == 2 and "Cannot read the PDF broken.pdf: it is damaged" in r.stderr
    assert "Traceback" not in r.stderr
