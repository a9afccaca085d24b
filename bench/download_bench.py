"""Download + SHA-256 verification vs download alone, against the local fake Hub.

Serves a generated GGUF from a separate process (tests/models/hf_server.py) so the server does not
share the client's GIL, then times, over several rounds (each round runs every case once, the order
rotating from round to round):

* ``download only``: the same session, URL and file writes, no hashing (the floor);
* ``download + verify (VisionDesk)``: ``ResumableDownload.run()``, SHA-256 on a hashing thread while
  writing, compared with the LFS hash, then ``os.replace``;
* ``download, then hash``: the naive order (download, then read the file back and hash it).

The target (≤ 1.05×) is judged on the median of the per-round ratios of the first two: on the device
machine one core's SHA-256 rate drifts by ±20% from second to second (bench/hash_speed.py), and a
ratio of two runs a second apart follows that drift less than a ratio of two medians. Both are printed.

Usage: .venv/bin/python bench/download_bench.py [--mib 256] [--rounds 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.util
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
REPO = "bench/payload-GGUF"
NAME = "payload-Q4_K_M.gguf"


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def _make_payload(folder: Path, mib: int) -> Path:
    factory = _load(ROOT / "tests" / "model_factory.py", "bench_model_factory")
    import numpy as np

    # A llama-shaped f16 model whose size is close to `mib`.
    layers = max(1, round(mib * 2**20 / (2 * (4 * 1024 * 1024 + 3 * 1024 * 2816))))
    shape = factory.TextShape(n_embd=1024, n_layer=layers, n_head=16, n_head_kv=16, n_ff=2816)
    return factory.write_text_model(folder / "payload.gguf", shape=shape, dtype=np.float16)


def _serve(payload: str, conn: object, limit_mibps: float) -> None:
    sys.path.insert(0, str(ROOT / "tests" / "models"))
    from hf_server import FakeHub

    with FakeHub() as hub:
        hub.add_repo(REPO, {NAME: Path(payload)})
        hub.faults.throttle_bps = int(limit_mibps * 2**20) if limit_mibps else None
        conn.send(hub.url)  # type: ignore[attr-defined]
        conn.recv()  # type: ignore[attr-defined]  # wait for "stop"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--random-payload", action="store_true",
                    help="serve random bytes instead of a generated GGUF (no numpy needed)")
    ap.add_argument("--limits", default="0,110",
                    help="server speed limits in MiB/s, comma-separated; 0 = as fast as loopback goes")
    args = ap.parse_args()
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    sys.path.insert(0, str(ROOT / "bench"))
    from shim import ensure_visiondesk

    ensure_visiondesk()
    from visiondesk.models.hub import HubClient
    from visiondesk.models.transfer import ResumableDownload

    limits = [float(x) for x in args.limits.split(",")]
    results: list[tuple[float, dict[str, list[float]]]] = []
    with tempfile.TemporaryDirectory(prefix="vd-dlbench-") as tmp_s:
        tmp = Path(tmp_s)
        if args.random_payload:
            payload = tmp / "payload.gguf"
            payload.write_bytes(b"GGUF" + os.urandom(args.mib * 2**20 - 4))
        else:
            payload = _make_payload(tmp, args.mib)
        size = payload.stat().st_size
        for limit in limits:
            results.append((limit, _run_scenario(tmp, payload, limit, args.rounds, HubClient, ResumableDownload)))

    print(f"# Download + verification benchmark ({dt.date.today().isoformat()})\n")
    kind = "random bytes" if args.random_payload else "generated f16 GGUF"
    print(f"Payload: {kind}, {size / 2**20:.0f} MiB, served by the fake Hub on 127.0.0.1 "
          f"(separate process, 302 to a CDN path, like the Hub). {args.rounds} rounds, every case once per "
          "round in rotating order; median.")
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}.\n")
    print("| server speed | case | median s | MiB/s | vs download only |")
    print("|---|---|---:|---:|---:|")
    summary = []
    for limit, times in results:
        base = statistics.median(times["download only"])
        label = f"limited to {limit:.0f} MiB/s" if limit else "unlimited (loopback)"
        for name, ts in times.items():
            med = statistics.median(ts)
            print(f"| {label} | {name} | {med:.3f} | {size / 2**20 / med:.0f} | {med / base:.3f}x |")
        of_medians = statistics.median(times["download + verify (VisionDesk)"]) / base
        pairs = [v / d for v, d in zip(times["download + verify (VisionDesk)"], times["download only"], strict=True)]
        paired = statistics.median(pairs)
        summary.append(f"{label}: {paired:.3f}x ({'met' if paired <= 1.05 else 'NOT met'}; per-round ratios "
                       f"{', '.join(f'{r:.3f}' for r in pairs)}; ratio of the medians {of_medians:.3f}x)")
    print("\nTarget: download + verify <= 1.05x download only, judged on the median of the per-round ratios "
          "(each round times every case once, in rotating order). Measured: " + "; ".join(summary) + ".")
    return 0


def _run_scenario(tmp: Path, payload: Path, limit: float, rounds: int, hub_cls: type,
                  download_cls: type) -> dict[str, list[float]]:
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(str(payload), child, limit), daemon=True)
    server.start()
    url = parent.recv()
    hub = hub_cls(endpoint=url)
    remote = hub.repo(REPO).files[NAME]
    out = tmp / "out"
    out.mkdir(exist_ok=True)

    def fetch(dest: Path) -> None:
        with hub.stream(remote.url) as r, dest.open("wb", buffering=0) as f:
            for chunk in r.iter_bytes():
                f.write(chunk)

    def download_only() -> None:
        fetch(out / "plain.gguf")
        (out / "plain.gguf").unlink()

    def download_verify() -> None:
        dest = out / NAME
        digest = download_cls(hub, remote, dest).run()
        assert digest == remote.sha256
        dest.unlink()

    def download_then_hash() -> None:
        dest = out / "then.gguf"
        fetch(dest)
        h = hashlib.sha256()
        with dest.open("rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
        assert h.hexdigest() == remote.sha256
        dest.unlink()

    cases = {"download only": download_only, "download + verify (VisionDesk)": download_verify,
             "download, then hash": download_then_hash}
    times: dict[str, list[float]] = {k: [] for k in cases}
    download_only()  # warm-up: page cache, connection pool
    order = list(cases.items())
    for r in range(rounds):  # the order rotates, so no case always runs after the same one
        for name, fn in order[r % len(order):] + order[:r % len(order)]:
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    parent.send("stop")
    server.join(10)
    return times


if __name__ == "__main__":
    raise SystemExit(main())
