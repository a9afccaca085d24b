"""How fast one thread computes SHA-256 here: the ceiling for "download + verify" on a fast link.

    python3 bench/hash_speed.py [--mib 256] [--rounds 2]

A single SHA-256 stream cannot be split across threads, so when the link delivers bytes faster than one
core hashes them, verification while downloading ends when the hashing does. Prints hashlib's rate on
bytes in memory, the rate of ``FileFollower``'s pattern (copy each block out of the page cache into a
reused buffer, then hash) and, for comparison, of hashing each block in place through a read-only
``mmap`` (measured as a follower too and not kept: bench/RESULTS-download.md), for a few block sizes.
Compare with "download only" in ``bench/download_bench.py`` on the same machine.
"""

from __future__ import annotations

import argparse
import hashlib
import mmap
import os
import platform
import ssl
import tempfile
import time


def in_memory(data: bytes, block: int) -> float:
    view = memoryview(data)
    h = hashlib.sha256()
    t = time.perf_counter()
    for i in range(0, len(data), block):
        h.update(view[i:i + block])
    return len(data) / 2**20 / (time.perf_counter() - t)


def read_back(path: str, size: int, block: int) -> float:
    buf = bytearray(block)
    view = memoryview(buf)
    fd = os.open(path, os.O_RDONLY)
    h = hashlib.sha256()
    t = time.perf_counter()
    pos = 0
    try:
        while (n := os.preadv(fd, [buf], pos)) > 0:
            h.update(view[:n])
            pos += n
    finally:
        os.close(fd)
    return size / 2**20 / (time.perf_counter() - t)


def mapped(path: str, size: int, block: int) -> float:
    fd = os.open(path, os.O_RDONLY)
    h = hashlib.sha256()
    t = time.perf_counter()
    try:
        for pos in range(0, size, block):
            with mmap.mmap(fd, min(block, size - pos), offset=pos, access=mmap.ACCESS_READ) as m, \
                    memoryview(m) as v:
                h.update(v)
    finally:
        os.close(fd)
    return size / 2**20 / (time.perf_counter() - t)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mib", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    data = os.urandom(args.mib * 2**20)
    fd, path = tempfile.mkstemp(prefix="vd-hash-")
    try:
        os.write(fd, data)
        os.close(fd)
        blocks = (64 << 10, 256 << 10, 1 << 20, 2 << 20)
        print(f"# SHA-256 speed, one thread ({platform.machine()}, {os.cpu_count()} CPUs, "
              f"Python {platform.python_version()}, {ssl.OPENSSL_VERSION})\n")
        print("| round | pattern | " + " | ".join(f"{b >> 10} KiB" for b in blocks) + " |")
        print("|---|---|" + "---:|" * len(blocks))
        for r in range(args.rounds):
            print(f"| {r + 1} | in memory, MiB/s | " + " | ".join(f"{in_memory(data, b):.0f}" for b in blocks) + " |")
            print(f"| {r + 1} | mmap + hash (not used), MiB/s | "
                  + " | ".join(f"{mapped(path, len(data), b):.0f}" for b in blocks) + " |")
            print(f"| {r + 1} | preadv + hash (copy, as FileFollower), MiB/s | "
                  + " | ".join(f"{read_back(path, len(data), b):.0f}" for b in blocks) + " |")
    finally:
        os.unlink(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
