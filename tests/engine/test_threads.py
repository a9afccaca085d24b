"""Thread counts: chosen by measurement when not configured, kept when configured, remembered in the disk cache.

A "later load" is a new ``LocalEngine`` (a new engine process) on the same cache folder, as when the app
starts again. Whether a load measured is read from its ``LoadResult`` (``threads_note`` and
``threads_measure_ms``, 0 when nothing was measured) and from the engine process's log.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from visiondesk.engine import Message, ModelSpec
from visiondesk.engine.llama import LoadResult, LocalEngine
from visiondesk.engine.llama.disk_cache import DiskCache
from visiondesk.engine.llama.worker.thread_memory import MAX_AGE_DAYS, SAMPLES, Measurement, choice_path, combined
from visiondesk.engine.llama.worker.thread_tuning import candidates

from tests.engine.conftest import run, spec
from tests.model_factory import GeneratedModels


def test_candidates_start_from_physical_cores() -> None:
    assert candidates(8, 16) == [8, 7, 4, 1, 16]
    assert candidates(2, 2) == [2, 1]
    assert candidates(1, 1) == [1]


def test_unset_threads_are_measured_at_load(test_models: GeneratedModels) -> None:
    with LocalEngine() as e:  # no cache folder: measured at every load, as before
        result = e.load(spec(test_models, threads=None))
        assert result.threads_note.startswith("measured at load")
        assert result.threads_measure_ms > 0
        assert result.threads >= 1 and result.threads_batch >= 1
        assert run(e, [Message.user("hello")])[1].error is None


def test_configured_threads_are_kept(test_models: GeneratedModels) -> None:
    with LocalEngine() as e:
        result = e.load(spec(test_models, threads=1))
        assert (result.threads, result.threads_batch, result.threads_note) == (1, 1, "as configured")
        assert result.threads_measure_ms == 0


def own_model(test_models: GeneratedModels, folder: Path, name: str = "model.gguf") -> Path:
    """A copy of the tiny model that a test may touch without disturbing the session's shared files."""
    folder.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy2(test_models.model, folder / name))


def load(model: Path, cache: DiskCache | None, logs: Path) -> LoadResult:
    """Load ``model`` (threads left to the engine) in a new engine process, and close it."""
    with LocalEngine(log_dir=logs, cache=cache) as e:
        result = e.load(ModelSpec(model=model, n_ctx=512, threads=None))
        assert run(e, [Message.user("hello")])[1].error is None
        return result


def measured(r: LoadResult) -> bool:
    return r.threads_note.startswith("measured at load") and r.threads_measure_ms > 0


def test_a_measured_choice_is_remembered_and_reused_by_the_next_engine(test_models: GeneratedModels,
                                                                      tmp_path: Path) -> None:
    model, cache, logs = own_model(test_models, tmp_path / "models"), DiskCache(tmp_path / "cache", 1 << 20), \
        tmp_path / "logs"
    loads = [load(model, cache, logs) for _ in range(SAMPLES)]
    assert all(measured(r) for r in loads)  # each of the first loads measures and adds its rates
    stored = json.loads(choice_path(cache, model).read_text(encoding="utf-8"))
    assert len(stored["measurements"]) == SAMPLES
    assert f"mean of {SAMPLES} loads" in loads[-1].threads_note
    best = combined([Measurement({int(t): r for t, r in m["decode_rates"].items()},
                                 {int(t): r for t, r in m["batch_rates"].items()}) for m in stored["measurements"]])
    assert (loads[-1].threads, loads[-1].threads_batch) == (best.threads, best.threads_batch)
    later = load(model, cache, logs)
    day = time.strftime("%Y-%m-%d", time.localtime(stored["measured_at"]))
    assert later.threads_note.startswith(f"remembered from {SAMPLES} measurements since {day} (mean ")
    assert later.threads_measure_ms == 0
    assert (later.threads, later.threads_batch) == (best.threads, best.threads_batch)
    text = (logs / "engine.log").read_text(encoding="utf-8")
    assert text.count("threads chosen by measurement") == SAMPLES and "threads remembered from" in text


def test_the_choice_is_the_best_mean_over_the_measurements() -> None:
    """A count that won one noisy probe loses to the one that is faster on average."""
    found = [Measurement({1: 25.0, 2: 30.0}, {1: 100.0, 2: 90.0}), Measurement({1: 24.0, 2: 3.0}, {1: 95.0, 2: 140.0})]
    choice = combined(found)
    assert (choice.threads, choice.threads_batch) == (1, 2)
    assert choice.decode_rates == {1: 24.5, 2: 16.5}
    assert combined([Measurement({1: 5.0, 2: 9.0}, {1: 1.0}), Measurement({1: 6.0}, {1: 2.0})]).decode_rates == \
        {1: 5.5, 2: 9.0}  # a count one probe skipped is the mean of those that have it


def until_remembered(model: Path, cache: DiskCache, logs: Path) -> None:
    """Load ``model`` as many times as it takes to be remembered."""
    for _ in range(SAMPLES):
        assert measured(load(model, cache, logs))


def test_a_touched_or_another_model_file_is_measured_again(test_models: GeneratedModels, tmp_path: Path) -> None:
    model, cache, logs = own_model(test_models, tmp_path / "models"), DiskCache(tmp_path / "cache", 1 << 20), \
        tmp_path / "logs"
    until_remembered(model, cache, logs)
    assert not measured(load(model, cache, logs))
    other = own_model(test_models, tmp_path / "models", "other.gguf")
    until_remembered(other, cache, logs)  # another file: its own measurements
    assert not measured(load(other, cache, logs))
    st = model.stat()
    os.utime(model, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))  # replaced in place, as by a download
    until_remembered(model, cache, logs)
    assert "was measured for another model; measuring again" in (logs / "engine.log").read_text(encoding="utf-8")
    assert not measured(load(model, cache, logs))  # the new measurements were stored under the new identity
    assert len(list((cache.folder / "threads").iterdir())) == 2


def test_a_damaged_choice_is_ignored_with_a_log_line_and_rewritten(test_models: GeneratedModels,
                                                                   tmp_path: Path) -> None:
    model, cache, logs = own_model(test_models, tmp_path / "models"), DiskCache(tmp_path / "cache", 1 << 20), \
        tmp_path / "logs"
    path = choice_path(cache, model)
    path.parent.mkdir(parents=True)
    path.write_text('{"key": {"format": 1}, "threads": ', encoding="utf-8")  # cut short, as by a crash
    first = load(model, cache, logs)
    assert measured(first)
    assert f"threads/{path.name} is damaged" in (logs / "engine.log").read_text(encoding="utf-8")
    rewritten = json.loads(path.read_text(encoding="utf-8"))["measurements"]  # written again, whole
    assert len(rewritten) == 1 and first.threads in map(int, rewritten[0]["decode_rates"])
    assert measured(load(model, cache, logs))
    assert not measured(load(model, cache, logs))


def test_an_old_choice_or_a_cleared_cache_is_measured_again(test_models: GeneratedModels, tmp_path: Path) -> None:
    model, cache, logs = own_model(test_models, tmp_path / "models"), DiskCache(tmp_path / "cache", 1 << 20), \
        tmp_path / "logs"
    until_remembered(model, cache, logs)
    path = choice_path(cache, model)
    record = json.loads(path.read_text(encoding="utf-8"))
    record["measured_at"] = time.time() - (MAX_AGE_DAYS + 1) * 86400
    path.write_text(json.dumps(record), encoding="utf-8")
    assert measured(load(model, cache, logs))
    assert f"more than {MAX_AGE_DAYS} days old" in (logs / "engine.log").read_text(encoding="utf-8")
    record = json.loads(path.read_text(encoding="utf-8"))
    assert time.time() - record["measured_at"] < 3600 and len(record["measurements"]) == 1  # started afresh
    assert cache.usage() > 0  # counted in the cache's size, and emptied by its "Clear"
    cache.clear()
    assert not path.exists()
    assert measured(load(model, cache, logs))


def test_a_cache_of_zero_bytes_remembers_nothing(test_models: GeneratedModels, tmp_path: Path) -> None:
    model, cache, logs = own_model(test_models, tmp_path / "models"), DiskCache(tmp_path / "cache", 0), \
        tmp_path / "logs"
    assert measured(load(model, cache, logs))
    assert measured(load(model, cache, logs))
    assert not choice_path(cache, model).exists()
