"""A busy Hub (500/503/429 on the metadata endpoint) and a mismatched pair caught from its headers.

Against the fake Hub (tests/models/hf_server.py), the named imitation of the Hub: its faults are
injected on demand, and it counts the bytes it serves.
"""

from __future__ import annotations

import datetime
import email.utils
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from visiondesk.engine.errors import InputError
from visiondesk.models.errors import DownloadFailed, HubUnavailable
from visiondesk.models.events import JobState
from visiondesk.models.hub import HubClient, Timeouts
from visiondesk.models.job import DownloadJob, plan_download
from visiondesk.models.registry import ModelRegistry
from visiondesk.models.retry import RetryPolicy, retry_after_seconds

from tests.models.conftest import FAST_RETRY, MMPROJ, MODEL_Q4, REPO
from tests.models.hf_server import FakeHub

MISMATCHED_BIG = "test-org/mismatched-big-GGUF"


def _info_requests(hub: FakeHub) -> int:
    return sum(1 for _, p in hub.requests if p.startswith(f"/api/models/{REPO}"))


def _patient(hub: FakeHub) -> HubClient:
    """A client whose reads outwait a loaded machine: the header tests count the bytes served, and a read that
    timed out and was retried would be counted twice (the fixture's 1 s read timeout is for the stall tests)."""
    return HubClient(endpoint=hub.url, timeouts=Timeouts(connect=30.0, read=30.0), retry=FAST_RETRY)


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


@pytest.mark.parametrize("status", [500, 503, 429])
def test_one_metadata_error_is_retried(status: int, fake_hub: FakeHub, hub_client: HubClient,
                                       registry: ModelRegistry) -> None:
    fake_hub.faults.info_errors = [status]
    plan = plan_download(hub_client, registry, REPO)
    assert plan.model.name == MODEL_Q4 and plan.mmproj.name == MMPROJ
    assert fake_hub.faults.info_errors == [] and _info_requests(fake_hub) == 2


def test_retry_after_is_honoured(fake_hub: FakeHub, hub_client: HubClient, registry: ModelRegistry) -> None:
    fake_hub.faults.info_errors, fake_hub.faults.info_retry_after = [429], "1"
    t0 = time.monotonic()
    plan_download(hub_client, registry, REPO)
    # The test policy backs off for at most 0.05 s: the second of waiting is the server's Retry-After.
    assert time.monotonic() - t0 >= 0.95
    assert _info_requests(fake_hub) == 2


def test_persistent_metadata_500_fails_in_plain_words(fake_hub: FakeHub, hub_client: HubClient,
                                                      registry: ModelRegistry) -> None:
    fake_hub.faults.info_errors = [500] * 100
    with pytest.raises(HubUnavailable) as info:
        plan_download(hub_client, registry, REPO)
    message = str(info.value)
    assert f"answered HTTP 500 (Internal Server Error) {FAST_RETRY.max_attempts} times" in message
    assert "try again in a few minutes" in message
    assert "mozilla" not in message.lower() and "\n" not in message
    assert _info_requests(fake_hub) == FAST_RETRY.max_attempts
    assert _files_under(registry.models_dir) == []


def test_models_pull_with_a_persistently_failing_hub(fake_hub: FakeHub, isolated_dirs: Path) -> None:
    """As a user runs it: a plain last line, exit 1, and nothing left behind (Retry-After: 0 keeps it quick)."""
    fake_hub.faults.info_errors, fake_hub.faults.info_retry_after = [503] * 100, "0"
    env = {**os.environ, "HF_ENDPOINT": fake_hub.url, "VISIONDESK_DATA_DIR": str(isolated_dirs)}
    r = subprocess.run([sys.executable, "-m", "visiondesk", "models", "pull", REPO], env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert "HTTP 503 (Service Unavailable)" in last and "try again in a few minutes" in last
    assert "Traceback" not in r.stderr and "mozilla" not in r.stderr.lower()
    assert _files_under(isolated_dirs / "models") == []


def test_persistent_500_on_the_files_leaves_no_empty_part(fake_hub: FakeHub, hub_client: HubClient,
                                                          registry: ModelRegistry) -> None:
    fake_hub.faults.fail_next = 1000
    job = DownloadJob(plan_download(hub_client, registry, REPO), hub_client, registry, retry=FAST_RETRY)
    with pytest.raises(DownloadFailed, match="Nothing was kept"):
        job.run()
    assert _files_under(registry.models_dir) == []  # no 0-byte .part, .part.json or .part.lock
    assert not job.plan.folder.exists()


def test_failure_after_some_bytes_keeps_them_and_says_so(fake_hub: FakeHub, hub_client: HubClient,
                                                         registry: ModelRegistry) -> None:
    fake_hub.faults.cut_file, fake_hub.faults.cut_at = MODEL_Q4, [500_000]
    job = DownloadJob(plan_download(hub_client, registry, REPO), hub_client, registry,
                      retry=type(FAST_RETRY)(max_attempts=1, base_delay=0.01, max_delay=0.01))
    with pytest.raises(DownloadFailed, match="500000 bytes are kept: run the download again"):
        job.run()
    assert (job.plan.folder / f"{MODEL_Q4}.part").stat().st_size == 500_000


@pytest.fixture
def mismatched_big(fake_hub: FakeHub, big_files: dict[str, Path], gguf_files: object) -> tuple[int, int]:
    """A 256-wide model published with a 96-wide projector; returns both sizes."""
    model = big_files[MODEL_Q4].read_bytes()
    mmproj = gguf_files.mismatched_mmproj.read_bytes()  # type: ignore[attr-defined]
    fake_hub.add_repo(MISMATCHED_BIG, {"big-Q4_K_M.gguf": model, "mmproj-big-f16.gguf": mmproj})
    return len(model), len(mmproj)


def test_mismatched_pair_is_refused_from_its_headers(fake_hub: FakeHub, registry: ModelRegistry,
                                                     mismatched_big: tuple[int, int]) -> None:
    model_size, mmproj_size = mismatched_big
    hub_client = _patient(fake_hub)
    job = DownloadJob(plan_download(hub_client, registry, MISMATCHED_BIG), hub_client, registry, retry=FAST_RETRY,
                      header_probe_bytes=256 * 1024)
    with pytest.raises(InputError, match="does not belong to the model.*Nothing was downloaded"):
        job.run()
    assert fake_hub.served == {}  # no transfer started
    read = fake_hub.probed["big-Q4_K_M.gguf"] + fake_hub.probed["mmproj-big-f16.gguf"]
    assert fake_hub.probed["big-Q4_K_M.gguf"] <= 256 * 1024 < model_size // 40
    assert read < (model_size + mmproj_size) // 20
    assert registry.list() == [] and _files_under(registry.models_dir) == []


def test_matching_pair_is_checked_from_headers_then_downloaded(fake_hub: FakeHub, registry: ModelRegistry) -> None:
    hub_client = _patient(fake_hub)
    # A probe far smaller than the model's header (its vocabulary): the reads grow until it is whole.
    job = DownloadJob(plan_download(hub_client, registry, REPO), hub_client, registry, retry=FAST_RETRY,
                      header_probe_bytes=1024)
    installed = job.run()
    files = fake_hub.repos[REPO].files
    assert installed.model.sha256 == fake_hub.sha256(REPO, MODEL_Q4)
    assert fake_hub.served[MODEL_Q4] == len(files[MODEL_Q4]) and fake_hub.served[MMPROJ] == len(files[MMPROJ])
    assert 1024 < fake_hub.probed[MODEL_Q4] < len(files[MODEL_Q4]) // 10
    cdn = [p for m, p in fake_hub.requests if m == "GET" and p.startswith("/cdn-lfs/") and p.endswith(MODEL_Q4)]
    assert len(cdn) >= 3  # 1 KiB, 2 KiB, 4 KiB... then the transfer


def test_retry_after_forms_and_bound() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0, max_retry_after=60.0)
    assert retry_after_seconds({"Retry-After": "7"}) == 7.0
    in_ten = email.utils.format_datetime(datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=10),
                                         usegmt=True)
    assert 8.0 <= (retry_after_seconds({"retry-after": in_ten}) or 0) <= 10.0
    assert retry_after_seconds({}) is None and retry_after_seconds({"Retry-After": "soon"}) is None
    assert policy.wait_before(1, 7.0) == 7.0
    assert policy.wait_before(1, 3600.0) == 60.0  # a wild value cannot stall a pull for an hour
    assert 0.375 <= policy.wait_before(1, None) <= 0.625 and policy.wait_before(9, None) <= 5.0


def test_cancel_during_a_header_read_retry_stops_at_once(fake_hub: FakeHub, registry: ModelRegistry) -> None:
    slow = HubClient(endpoint=fake_hub.url, retry=RetryPolicy(max_attempts=5, base_delay=5.0, max_delay=5.0))
    job = DownloadJob(plan_download(slow, registry, REPO), slow, registry, retry=FAST_RETRY)
    fake_hub.faults.fail_next = 1000  # every file GET, the header reads first: 500, then a wait of ~5 s
    job.start()
    deadline = time.monotonic() + 10
    while not any(p.startswith("/cdn-lfs/") for _, p in fake_hub.requests):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    t0 = time.monotonic()
    job.cancel()
    assert job.wait(3) and time.monotonic() - t0 < 1.5
    assert job.state is JobState.CANCELLED
    assert _files_under(registry.models_dir) == []
