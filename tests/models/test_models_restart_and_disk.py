"""The app killed mid-download, then resumed; a full disk before and during a download (real tmpfs)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from visiondesk.models.errors import DownloadBusy, NotEnoughDiskSpace
from visiondesk.models.hub import HubClient
from visiondesk.models.job import DownloadJob, plan_download
from visiondesk.models.transfer import ResumableDownload

from tests.models.conftest import FAST_RETRY, MODEL_Q4, REPO, open_registry
from tests.models.hf_server import FakeHub


def test_process_killed_mid_download_then_resumed(fake_hub: FakeHub, hub_client: HubClient,
                                                  isolated_dirs: Path) -> None:
    """Also: while the other process downloads, a second transfer of the same file is refused and
    deletes nothing; its lock dies with it."""
    fake_hub.faults.throttle_bps = 3_000_000
    env = {**os.environ, "HF_ENDPOINT": fake_hub.url, "VISIONDESK_DATA_DIR": str(isolated_dirs)}
    proc = subprocess.Popen([sys.executable, "-m", "visiondesk", "models", "pull", REPO], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    part = isolated_dirs / "models" / REPO / f"{MODEL_Q4}.part"
    try:
        deadline = time.monotonic() + 60
        while not (part.exists() and part.stat().st_size > 1_000_000):
            assert proc.poll() is None and time.monotonic() < deadline, "the download never got going"
            time.sleep(0.05)
        reg = open_registry()
        second = DownloadJob(plan_download(hub_client, reg, REPO), hub_client, reg, retry=FAST_RETRY)
        before = part.stat().st_size
        with pytest.raises(DownloadBusy, match="another VisionDesk window or command"):
            second.run()
        remote = second.plan.model
        ResumableDownload(hub_client, remote, part.with_name(MODEL_Q4)).discard()  # refused: not ours
        assert part.exists() and part.stat().st_size >= before
        assert fake_hub.range_starts.get(MODEL_Q4, []) == [0]  # the refused job sent no request for it
        assert reg.list() == []
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    kept = part.stat().st_size
    fake_hub.faults.throttle_bps = None
    _wait_until_server_stops_sending(fake_hub)  # the dead client's server thread notices the broken pipe
    fake_hub.reset_counters()
    reg = open_registry()
    assert reg.list() == []  # nothing half-downloaded is listed
    installed = DownloadJob(plan_download(hub_client, reg, REPO), hub_client, reg, retry=FAST_RETRY).run()
    size = len(fake_hub.repos[REPO].files[MODEL_Q4])
    assert fake_hub.range_starts[MODEL_Q4] == [kept]
    assert fake_hub.served[MODEL_Q4] == size - kept
    assert installed.model.sha256 == fake_hub.sha256(REPO, MODEL_Q4)


def _wait_until_server_stops_sending(hub: FakeHub) -> None:
    last, stable_since = -1, time.monotonic()
    while time.monotonic() - stable_since < 0.5:
        now = sum(hub.served.values())
        if now != last:
            last, stable_since = now, time.monotonic()
        time.sleep(0.05)


@pytest.fixture
def small_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real 3 MiB tmpfs as the data directory (needs root; skipped otherwise)."""
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    monkeypatch.setenv("VISIONDESK_DATA_DIR", str(mnt))
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_disk_too_small_is_refused_before_downloading(small_disk: Path, fake_hub: FakeHub,
                                                      hub_client: HubClient) -> None:
    reg = open_registry()
    job = DownloadJob(plan_download(hub_client, reg, REPO), hub_client, reg, retry=FAST_RETRY,
                      disk_margin=2**20)
    with pytest.raises(NotEnoughDiskSpace, match="Not enough free disk space"):
        job.run()
    assert fake_hub.served == {}


def test_disk_filling_up_mid_download_keeps_part_and_resumes(small_disk: Path, fake_hub: FakeHub,
                                                             hub_client: HubClient) -> None:
    reg = open_registry()
    job = DownloadJob(plan_download(hub_client, reg, REPO), hub_client, reg, retry=FAST_RETRY,
                      check_disk=False)
    with pytest.raises(NotEnoughDiskSpace, match="filled up during the download"):
        job.run()
    part = job.transfers[0].part
    kept = part.stat().st_size
    assert 0 < kept <= 3 * 2**20 and reg.list() == []
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
    fake_hub.reset_counters()
    installed = DownloadJob(plan_download(hub_client, reg, REPO), hub_client, reg, retry=FAST_RETRY,
                            disk_margin=2**20).run()
    assert fake_hub.range_starts[MODEL_Q4] == [kept]
    assert installed.model.sha256 == fake_hub.sha256(REPO, MODEL_Q4)
