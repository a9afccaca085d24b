"""Remembers the measured thread choice per machine and model, so that a later load does not measure again.

Measuring thread counts (``thread_tuning.tune_threads``) costs about 1.4 s of every CPU load on a 2-core
VM, as much as llama.cpp's whole load. What decides the best count is the key here: the model file
(``disk_cache.file_identity``: size, modification time, first and last 64 KiB), the CPU (its model name,
physical and logical cores), the llama.cpp build (version, its CPU features, its libraries' sizes and
times), the layers offloaded and the probe's batch. The choice is kept in the engine's disk cache folder,
``threads/<model path digest>.json``, one small JSON file per model path written atomically; a file for
another key (the model was replaced or touched, a new CPU or llama.cpp) is measured again and overwritten,
a damaged one is ignored with a log line and rewritten.

One measurement is a draw of the moment (a 2-thread probe on a busy machine can be ten times slower than on a
quiet one), so the first ``SAMPLES`` loads each measure and add their rates to the record, and the choice is the
thread count with the best mean rate over them; from then on loads use it without measuring.

Measuring again: a remembered choice older than ``MAX_AGE_DAYS`` is measured again (the load the machine
usually carries changes, and a choice made under a passing load should not last); and clearing the engine
cache (the settings page's "Clear") forgets every choice. Without a cache folder, or with the cache set
to 0 bytes, every load measures, as before.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import platform
import time
from pathlib import Path
from typing import Any

import llama_cpp

from ..disk_cache import DiskCache, file_identity, write_file
from .thread_tuning import BATCH_TOKENS, ThreadChoice, tune_threads

log = logging.getLogger(__name__)

KIND = "threads"  # the cache folder's sub-folder (one of disk_cache.KINDS: counted, trimmed and cleared with it)
FORMAT = 2  # raise when the measurement changes meaning: every remembered choice is then measured again
MAX_AGE_DAYS = 30
SAMPLES = 2  # measurements (loads) averaged before a choice is used without measuring


@dataclasses.dataclass(frozen=True)
class ThreadOutcome:
    """The counts a load uses, what ``LoadResult.threads_note`` says of them, and the ms measuring took (0: none)."""

    choice: ThreadChoice
    note: str
    measure_ms: float


def cpu_name() -> str:
    """The CPU's model name (Linux: /proc/cpuinfo), else what ``platform`` says."""
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                return value.strip()
    return platform.processor() or platform.machine()


def build_identity() -> str:
    """llama.cpp as loaded: its version, the CPU features it uses, and the size and time of its libraries."""
    parts = [llama_cpp.__version__, llama_cpp.llama_print_system_info().decode(errors="replace")]
    lib = Path(getattr(llama_cpp.llama_cpp._lib, "_name", "") or ".")  # the libllama loaded
    with contextlib.suppress(OSError):
        for path in sorted(lib.parent.iterdir()):
            if "llama" in path.name or "ggml" in path.name:
                st = path.stat()
                parts.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def thread_key(model: Path, gpu_layers: int, n_batch: int, physical: int, logical: int) -> dict[str, Any]:
    """Everything the best thread count depends on; a stored choice is used only under an equal key."""
    return {"format": FORMAT, "model": file_identity(model), "cpu": cpu_name(), "physical_cores": physical,
            "logical_cpus": logical, "llama_cpp": build_identity(), "gpu_layers": gpu_layers,
            "probe_batch": min(BATCH_TOKENS, n_batch)}


def choice_path(disk: DiskCache, model: Path) -> Path:
    """The file of ``model``'s remembered choice (one per model path, whatever its key)."""
    return disk.path_for(KIND, str(Path(model).resolve()), "json")


@dataclasses.dataclass(frozen=True)
class Measurement:
    """One load's probe: tokens per second by thread count, for generation and for prompt reading."""

    decode_rates: dict[int, float]
    batch_rates: dict[int, float]


def recall(path: Path, key: dict[str, Any], now: float) -> tuple[list[Measurement], float] | None:
    """The measurements stored at ``path`` and when the first was taken, if sound, made under ``key`` and recent."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        stored_key, at = raw["key"], float(raw["measured_at"])
        found = [Measurement({int(t): float(r) for t, r in one["decode_rates"].items()},
                             {int(t): float(r) for t, r in one["batch_rates"].items()}) for one in raw["measurements"]]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("engine cache: %s/%s is damaged (%s); measuring the threads again", KIND, path.name, exc)
        return None
    if stored_key != key:
        changed = sorted(k for k in key if not isinstance(stored_key, dict) or stored_key.get(k) != key[k])
        log.info("engine cache: the thread choice in %s was measured for another %s; measuring again",
                 path.name, ", ".join(changed) or "format")
        return None
    if not found or any(not one.decode_rates or not one.batch_rates for one in found):
        log.warning("engine cache: %s/%s is damaged (no rates); measuring again", KIND, path.name)
        return None
    if not 0 <= now - at <= MAX_AGE_DAYS * 86400:
        log.info("engine cache: the thread choice in %s is more than %d days old; measuring again", path.name,
                 MAX_AGE_DAYS)
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: trimmed last
    return found, at


def combined(found: list[Measurement]) -> ThreadChoice:
    """The thread counts with the best mean rate over the measurements (a count missing from one is left out)."""
    def mean(rates: list[dict[int, float]]) -> dict[int, float]:
        counts = sorted({t for r in rates for t in r})
        return {t: sum(r[t] for r in rates if t in r) / sum(1 for r in rates if t in r) for t in counts}

    decode, batch = mean([m.decode_rates for m in found]), mean([m.batch_rates for m in found])
    return ThreadChoice(max(decode, key=lambda t: decode[t]), max(batch, key=lambda t: batch[t]), decode, batch)


def remember(disk: DiskCache, path: Path, key: dict[str, Any], found: list[Measurement], at: float) -> None:
    """Store ``found`` under ``key`` at ``path`` atomically; never raises (a failure is logged)."""
    record = {"key": key, "measured_at": at, "measurements": [dataclasses.asdict(m) for m in found]}
    write_file(disk, path, [json.dumps(record, indent=1).encode()])


def choose_threads(m: Any, disk: DiskCache | None, gpu_layers: int, physical: int, logical: int) -> ThreadOutcome:
    """The remembered choice for this model and machine, else a measurement on ``m`` (stored when ``disk`` allows)."""
    slot: tuple[Path, dict[str, Any]] | None = None
    earlier: list[Measurement] = []
    at = time.time()
    if disk is not None and disk.max_bytes > 0:
        slot = choice_path(disk, m.spec.model), thread_key(m.spec.model, gpu_layers, m.n_batch, physical, logical)
        if (stored := recall(*slot, at)) is not None:
            earlier, at = stored
        if len(earlier) >= SAMPLES:
            choice = combined(earlier)
            llama_cpp.llama_set_n_threads(m.ctx, choice.threads, choice.threads_batch)
            log.info("threads remembered from %s: generation %d, prompt %d", slot[0].name, choice.threads,
                     choice.threads_batch)
            day = time.strftime("%Y-%m-%d", time.localtime(at))
            return ThreadOutcome(choice, f"remembered from {len(earlier)} measurements since {day} "
                                         f"(mean {_rates(choice)})", 0.0)
    t0 = time.perf_counter()
    probe = tune_threads(m, physical, logical)
    ms = (time.perf_counter() - t0) * 1e3
    if disk is None or slot is None:
        return ThreadOutcome(probe, f"measured at load ({_rates(probe)})", ms)
    samples = [*earlier, Measurement(probe.decode_rates, probe.batch_rates)]
    remember(disk, *slot, samples, at)
    choice = combined(samples)
    if (choice.threads, choice.threads_batch) != (probe.threads, probe.threads_batch):
        llama_cpp.llama_set_n_threads(m.ctx, choice.threads, choice.threads_batch)
    mean = f"; mean of {len(samples)} loads: generation {choice.threads}, prompt {choice.threads_batch}" \
        if len(samples) > 1 else ""
    return ThreadOutcome(choice, f"measured at load ({_rates(probe)}{mean})", ms)


def _rates(choice: ThreadChoice) -> str:
    return "generation tok/s by threads: " + ", ".join(f"{t}: {r:.1f}" for t, r in choice.decode_rates.items())
