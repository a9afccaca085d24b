"""Where the engine's time goes, for the lead: py-spy samples of the child (and the caller) while it
decodes, reads prompts and answers follow-ups, on the benchmark's realistic VLM.

    python bench/profile_engine.py OUT_DIR [--py-spy PATH]

Writes ``OUT_DIR/<phase>-<child|parent>.txt`` (py-spy "raw" collapsed stacks, native frames included)
and ``OUT_DIR/profile-summary.txt`` (the hottest frames per phase, self and inclusive %).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from shim import ensure_visiondesk  # noqa: E402

ensure_visiondesk()

import engine_figures as ef  # noqa: E402
from bench_models import _q4_path, mmproj  # noqa: E402
from visiondesk.engine import Message  # noqa: E402


def record(pyspy: str, pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen([pyspy, "record", "--native", "--rate", "1000", "--duration", str(int(seconds)),
                             "--format", "raw", "--pid", str(pid), "--output", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def summarize(raw: Path, top: int = 25) -> str:
    if not raw.is_file():
        return f"{raw.name}: no samples\n"
    self_c: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        c = int(n)
        frames = stack.split(";")
        total += c
        self_c[frames[-1]] += c
        for f in set(frames):
            incl[f] += c
    lines = [f"== {raw.name}: {total} samples", "-- self"]
    lines += [f"{100 * c / total:5.1f}%  {f}" for f, c in self_c.most_common(top)]
    lines += ["-- inclusive"]
    lines += [f"{100 * c / total:5.1f}%  {f}" for f, c in incl.most_common(top)]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy")
    ap.add_argument("--seconds", type=float, default=4)
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    import llama_cpp

    gpu = bool(llama_cpp.llama_supports_gpu_offload())
    from visiondesk.engine.requests import physical_cores

    threads = physical_cores() if gpu else 1
    eng, _ = ef.engine_load(_q4_path("llama1b-chatml"), mmproj(), threads, 99 if gpu else 0)
    child = eng.pid
    assert child
    images = ef.make_images(BENCH / ".cache" / "images", 3)
    ef.engine_request(eng, [Message.user("hi")], 8)

    def phase(name: str, work: object) -> None:
        stop = threading.Event()

        def loop() -> None:
            i = 0
            while not stop.is_set():
                work(i)  # type: ignore[operator]
                i += 1

        t = threading.Thread(target=loop)
        t.start()
        time.sleep(0.5)
        procs = [record(a.py_spy, child, a.out / f"{name}-child.txt", a.seconds),
                 record(a.py_spy, __import__("os").getpid(), a.out / f"{name}-parent.txt", a.seconds)]
        for p in procs:
            _, err = p.communicate()
            if p.returncode:
                print(f"py-spy {name}: {err.decode(errors='replace')[-500:]}", file=sys.stderr)
        stop.set()
        t.join()

    phase("decode", lambda i: ef.engine_request(eng, [Message.user(f"Write a long story {i}.")],
                                                    3000 if gpu else 48))
    phase("prompt", lambda i: ef.engine_request(eng, [Message.user(ef.word_prompt(505, 500 + i, True))], 1))
    m1 = [Message.user(ef.Q1, images[1])]
    r1 = ef.engine_request(eng, m1, 16)
    m2 = [*m1, Message.assistant(r1["text"]), Message.user(ef.Q2)]
    phase("followup", lambda i: ef.engine_request(eng, m2, 1))
    ef.engine_close(eng)
    summary = "".join(summarize(a.out / f"{ph}-{who}.txt") for ph in ("decode", "prompt", "followup")
                      for who in ("child", "parent"))
    (a.out / "profile-summary.txt").write_text(summary)
    print(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
