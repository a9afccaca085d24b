"""``visiondesk chat`` when things go wrong: odd image paths, an engine killed mid-answer, a full context."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from PIL import Image

from tests.cli.test_chat_commands import BIN, stats_lines, visiondesk
from tests.model_factory import GeneratedModels

ENGINE_CHILD = b"visiondesk.engine.llama.worker.child"


def chat_args(m: GeneratedModels, ctx: int, max_tokens: int) -> list[str]:
    return ["--model", str(m.model), "--mmproj", str(m.mmproj), "--threads", "1", "--temperature", "0",
            "--ctx", str(ctx), "--max-tokens", str(max_tokens), "--stats"]


def photo(folder: Path) -> Path:
    path = folder / "photo.png"
    Image.new("RGB", (48, 40), (200, 40, 90)).save(path)
    return path


def test_image_command_names_a_folder_a_pipe_and_a_device(test_models: GeneratedModels, tmp_path: Path) -> None:
    folder = tmp_path / "album"
    folder.mkdir()
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    good = photo(tmp_path)
    script = (f"/image {folder}\n/image {fifo}\n/image /dev/zero\n/image {tmp_path / 'gone.png'}\n"
              f"/image {good}\nWhat is in it?\n")
    started = time.monotonic()
    r = visiondesk("chat", *chat_args(test_models, 1024, 4), stdin=script)  # a hang fails on the timeout
    assert time.monotonic() - started < 60
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr
    said = [line for line in r.stderr.splitlines() if line.startswith("visiondesk:")]
    assert said == [f"visiondesk: Cannot use the image {folder}: it is a folder, not an image file.",
                    f"visiondesk: Cannot use the image {fifo}: it is a named pipe (FIFO), not an image file.",
                    "visiondesk: Cannot use the image /dev/zero: it is a device, not an image file.",
                    f"visiondesk: Cannot use the image {tmp_path / 'gone.png'}: the file does not exist."]
    assert "[attached photo.png]" in r.stderr
    stats = stats_lines(r.stderr)
    assert len(stats) == 1 and stats[0]["images_encoded"] == 1  # only the good image went with the question


def _engine_child_of(parent: int, within_s: float) -> int:
    """The engine process the chat started, found among ``parent``'s children in /proc."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the name in parentheses may hold spaces
            if ppid == parent and ENGINE_CHILD in cmdline:
                return int(entry.name)
        time.sleep(0.05)
    raise AssertionError(f"no engine process under {parent}")


def test_question_whose_answer_a_crash_cut_stays_in_the_conversation(test_models: GeneratedModels,
                                                                      tmp_path: Path) -> None:
    second = "And the colours?"
    # What the second question costs without any history, to compare with.
    alone = stats_lines(visiondesk("chat", *chat_args(test_models, 2048, 4), stdin=second + "\n").stderr)[0]
    # A long answer (until the context is full: about a second here) killed as soon as it starts streaming.
    proc = subprocess.Popen([str(BIN), "chat", *chat_args(test_models, 2048, 4000)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(f"/image {photo(tmp_path)}\nDescribe this photo in detail, please.\n".encode())
        proc.stdin.flush()
        assert os.read(proc.stdout.fileno(), 1)  # the answer is streaming
        os.kill(_engine_child_of(proc.pid, within_s=30), signal.SIGKILL)
        _, err_bytes = proc.communicate(f"{second}\n".encode(), timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = err_bytes.decode()
    assert "Traceback" not in err
    assert "was killed by signal SIGKILL while writing the answer" in err and "Your conversation is kept" in err
    stats = stats_lines(err)
    assert len(stats) == 2 and stats[0]["stop_reason"] == "error"  # one line per answer
    assert stats[1]["stop_reason"] == "length"
    after = stats[1]
    # The restarted engine read the killed question again, with its image and the cut answer.
    assert after["images_encoded"] == 1
    assert after["prompt_tokens"] > alone["prompt_tokens"] + 16  # 16: the image alone


def test_repeated_overflow_gives_one_stats_line_per_answer_and_keeps_what_fits(test_models: GeneratedModels) -> None:
    n_ctx, max_tokens, questions = 256, 8, 14
    script = "".join(f"Question {i}: and what comes next?\n" for i in range(questions))
    r = visiondesk("chat", *chat_args(test_models, n_ctx, max_tokens), stdin=script)
    assert r.returncode == 0, r.stderr
    stats = stats_lines(r.stderr)
    assert len(stats) == questions  # the attempts that overflowed add no line of their own
    assert all(s["stop_reason"] == "length" for s in stats)
    prompts = [int(s["prompt_tokens"]) for s in stats]  # type: ignore[call-overload]
    first_cut = next(i for i in range(1, questions) if prompts[i] <= prompts[i - 1])
    assert first_cut < questions - 3, prompts  # the context filled up, and kept filling up afterwards
    exchange = max(b - a for a, b in zip(prompts[:first_cut], prompts[1:first_cut], strict=False))
    for tokens in prompts[first_cut:]:
        # As much as fits is kept: one more of the dropped exchanges would have overflowed the context.
        assert tokens + exchange + 1 > n_ctx, prompts
        assert tokens + 1 <= n_ctx
    assert r.stderr.count("dropping the oldest turns") == questions - first_cut


def test_small_context_says_what_was_asked_and_what_was_used(test_models: GeneratedModels) -> None:
    long_question = "Describe every detail of the picture, please. " * 8
    r = visiondesk("chat", *chat_args(test_models, 128, 4), stdin=long_question + "\n")
    assert r.returncode == 2, r.stderr
    assert "[context: 128 tokens asked, 256 used: llama.cpp rounds the context up to a multiple of 256]" in r.stderr
    said = [line for line in r.stderr.splitlines() if line.startswith("visiondesk:")]
    assert len(said) == 1
    assert "but the context holds 256 tokens (--ctx asked for 128; llama.cpp rounds the context up to a multiple " \
           "of 256). Raise --ctx" in said[0]
    assert len(stats_lines(r.stderr)) == 1


def test_doctor_reports_the_context_asked_and_used(test_models: GeneratedModels) -> None:
    r = visiondesk("doctor", "--model", str(test_models.model), "--ctx", "128")
    assert r.returncode == 0, r.stderr
    assert "context 256 tokens (128 asked; llama.cpp rounds up to a multiple of 256)" in r.stdout
    r = visiondesk("doctor", "--json", "--model", str(test_models.model), "--ctx", "128")
    check = json.loads(r.stdout)["model_check"]
    assert (check["n_ctx"], check["n_ctx_asked"]) == (256, 128)
