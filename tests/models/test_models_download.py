"""Downloads against the local fake Hub: happy path, resume, corruption, retries, disk, restarts."""

from __future__ import annotations

import hashlib
import json
import random
import threading
from pathlib import Path

import pytest
from visiondesk.models.errors import ChecksumMismatch, DownloadFailed, HubUnavailable, NoVisionFiles, RepositoryNotFound
from visiondesk.models.events import Failed, FileVerified, Finished, JobState, Progress, StateChanged
from visiondesk.models.hub import HubClient
from visiondesk.models.job import DownloadJob, plan_download
from visiondesk.models.registry import ModelRegistry
from visiondesk.models.transfer import ResumableDownload

from tests.models.conftest import FAST_RETRY, MMPROJ, MODEL_Q4, MODEL_Q8, REPO
from tests.models.hf_server import FakeHub


def _job(hub_client: HubClient, registry: ModelRegistry, repo: str = REPO, quant: str | None = None,
         **kw: object) -> DownloadJob:
    plan = plan_download(hub_client, registry, repo, quant)
    return DownloadJob(plan, hub_client, registry, retry=FAST_RETRY, chunk_size=64 * 1024, **kw)  # type: ignore[arg-type]


def test_repo_listing_has_lfs_hashes_and_pinned_urls(fake_hub: FakeHub, hub_client: HubClient) -> None:
    remote = hub_client.repo(REPO)
    f = remote.files[MODEL_Q4]
    assert f.sha256 == fake_hub.sha256(REPO, MODEL_Q4)
    assert f.size == len(fake_hub.repos[REPO].files[MODEL_Q4])
    assert f.url == f"{fake_hub.url}/{REPO}/resolve/{remote.commit}/{MODEL_Q4}"
    assert remote.quantizations() == ["Q4_K_M", "Q8_0"]


def test_hub_client_follows_hf_endpoint_set_after_import(fake_hub: FakeHub) -> None:
    client = HubClient()  # endpoint from the HF_ENDPOINT the fixture set at run time
    assert client.endpoint == fake_hub.url
    assert MMPROJ in client.repo(REPO).files


def test_pull_downloads_verifies_and_registers(fake_hub: FakeHub, hub_client: HubClient,
                                               registry: ModelRegistry) -> None:
    events: list[object] = []
    job = _job(hub_client, registry)
    job.add_listener(events.append)
    installed = job.run()
    assert installed.quant == "Q4_K_M"
    assert installed.model.path.read_bytes() == fake_hub.repos[REPO].files[MODEL_Q4]
    assert installed.mmproj is not None and installed.mmproj.sha256 == fake_hub.sha256(REPO, MMPROJ)
    assert registry.get(installed.name) == installed
    assert installed.source == f"hf:{REPO}@{fake_hub.repos[REPO].commit}"
    assert not list(installed.model.path.parent.glob("*.part*"))
    assert [e.file_name for e in events if isinstance(e, FileVerified)] == [MODEL_Q4, MMPROJ]
    progress = [e for e in events if isinstance(e, Progress)]
    assert progress and progress[-1].done == progress[-1].total == job.plan.total_bytes
    assert isinstance(events[-1], Finished)
    # Went through the resolve redirect to the CDN path, each file once, whole.
    assert fake_hub.served[MODEL_Q4] == installed.model.size
    assert ("GET", f"/{REPO}/resolve/{fake_hub.repos[REPO].commit}/{MODEL_Q4}") in fake_hub.requests


def test_pull_picks_requested_quantization(fake_hub: FakeHub, hub_client: HubClient,
                                           registry: ModelRegistry) -> None:
    installed = _job(hub_client, registry, quant="Q8_0").run()
    assert installed.model.path.name == MODEL_Q8 and installed.quant == "Q8_0"
    with pytest.raises(NoVisionFiles, match="Q2_K"):
        plan_download(hub_client, registry, REPO, "Q2_K")


def test_connection_cut_at_many_offsets_resumes_not_restarts(fake_hub: FakeHub, hub_client: HubClient,
                                                             registry: ModelRegistry) -> None:
    size = len(fake_hub.repos[REPO].files[MODEL_Q4])
    cuts = sorted(random.Random(7).sample(range(1000, size - 1000), 12))
    fake_hub.faults.cut_file, fake_hub.faults.cut_at = MODEL_Q4, list(cuts)
    installed = _job(hub_client, registry).run()
    assert hashlib.sha256(installed.model.path.read_bytes()).hexdigest() == fake_hub.sha256(REPO, MODEL_Q4)
    assert fake_hub.faults.cut_at == []  # every cut happened
    starts = fake_hub.range_starts[MODEL_Q4]
    assert starts == [0, *cuts]  # each new request continued exactly where the cut left off
    assert fake_hub.served[MODEL_Q4] == size  # not one byte served twice


def test_flipped_byte_is_detected_deleted_and_not_registered(fake_hub: FakeHub, hub_client: HubClient,
                                                             registry: ModelRegistry) -> None:
    fake_hub.faults.flip_file, fake_hub.faults.flip_at = MMPROJ, 5000
    job = _job(hub_client, registry)
    events: list[object] = []
    job.add_listener(events.append)
    with pytest.raises(ChecksumMismatch, match=MMPROJ):
        job.run()
    folder = job.plan.folder
    assert not (folder / MMPROJ).exists() and not (folder / f"{MMPROJ}.part").exists()
    assert registry.list() == []
    assert job.state is JobState.FAILED
    assert any(isinstance(e, Failed) and isinstance(e.error, ChecksumMismatch) for e in events)


def test_500_answers_then_success(fake_hub: FakeHub, hub_client: HubClient, registry: ModelRegistry) -> None:
    fake_hub.faults.fail_next = 3
    installed = _job(hub_client, registry).run()
    assert fake_hub.faults.fail_next == 0
    assert installed.model.sha256 == fake_hub.sha256(REPO, MODEL_Q4)


def test_persistent_500_fails_and_keeps_nothing_registered(fake_hub: FakeHub, hub_client: HubClient,
                                                           registry: ModelRegistry) -> None:
    fake_hub.faults.fail_next = 1000
    with pytest.raises(DownloadFailed, match="failed 6 times"):
        _job(hub_client, registry).run()
    assert registry.list() == []


def test_stalled_server_times_out_and_retries(fake_hub: FakeHub, hub_client: HubClient,
                                              registry: ModelRegistry) -> None:
    fake_hub.faults.stall_file, fake_hub.faults.stall_at, fake_hub.faults.stall_s = MODEL_Q4, 300_000, 3.0
    installed = _job(hub_client, registry).run()  # the client read timeout is 1 s
    assert installed.model.sha256 == fake_hub.sha256(REPO, MODEL_Q4)
    assert fake_hub.range_starts[MODEL_Q4] == [0, 300_000]


def test_pause_then_resume_continues_from_disk(fake_hub: FakeHub, hub_client: HubClient,
                                               registry: ModelRegistry) -> None:
    fake_hub.faults.throttle_bps = 2_000_000
    job = _job(hub_client, registry)
    paused = threading.Event()
    seen: list[JobState] = []

    def on_event(e: object) -> None:
        if isinstance(e, StateChanged):
            seen.append(e.state)
            if e.state is JobState.PAUSED:
                paused.set()
        if isinstance(e, Progress) and e.done > 500_000 and not paused.is_set():
            job.pause()

    job.add_listener(on_event)
    job.start()
    assert paused.wait(30)
    part = job.plan.folder / f"{MODEL_Q4}.part"
    kept = part.stat().st_size
    assert kept > 500_000
    fake_hub.faults.throttle_bps = None
    job.resume()
    assert job.wait(30) and job.error is None, job.error
    assert JobState.PAUSED in seen and seen[-1] is JobState.DONE
    assert fake_hub.range_starts[MODEL_Q4] == [0, kept]


def test_cancel_removes_partial_files(fake_hub: FakeHub, hub_client: HubClient, registry: ModelRegistry) -> None:
    fake_hub.faults.throttle_bps = 2_000_000
    job = _job(hub_client, registry)
    job.add_listener(lambda e: job.cancel() if isinstance(e, Progress) and e.done > 300_000 else None)
    job.start()
    assert job.wait(30)
    assert job.state is JobState.CANCELLED
    assert not any(job.plan.folder.glob("*.part*")) and not (job.plan.folder / MODEL_Q4).exists()
    assert registry.list() == []


def test_app_closed_mid_download_new_job_resumes_from_part(fake_hub: FakeHub, hub_client: HubClient,
                                                           registry: ModelRegistry) -> None:
    # First "app session": interrupted by a connection failure storm, then simply dropped.
    fake_hub.faults.cut_file, fake_hub.faults.cut_at = MODEL_Q4, [1_234_567]
    first = _job(hub_client, registry)
    first.transfers[0].retry = type(FAST_RETRY)(max_attempts=1, base_delay=0.01, max_delay=0.01)
    with pytest.raises(DownloadFailed):
        first.run()
    del first
    part = Path(registry.models_dir / REPO / f"{MODEL_Q4}.part")
    assert part.stat().st_size == 1_234_567
    # Second session: a brand-new job (new objects, nothing in memory) continues from the .part.
    fake_hub.reset_counters()
    installed = _job(hub_client, registry).run()
    size = len(fake_hub.repos[REPO].files[MODEL_Q4])
    assert fake_hub.range_starts[MODEL_Q4] == [1_234_567]
    assert fake_hub.served[MODEL_Q4] == size - 1_234_567
    assert installed.model.sha256 == fake_hub.sha256(REPO, MODEL_Q4)


def test_part_of_another_file_version_is_discarded(fake_hub: FakeHub, hub_client: HubClient,
                                                   registry: ModelRegistry, tmp_path: Path) -> None:
    remote = hub_client.repo(REPO).files[MODEL_Q8]
    dest = tmp_path / MODEL_Q8
    dest.with_name(MODEL_Q8 + ".part").write_bytes(b"stale bytes from an older upload")
    dest.with_name(MODEL_Q8 + ".part.json").write_text('{"file": "x", "size": 1, "sha256": "0"}')
    digest = ResumableDownload(hub_client, remote, dest, retry=FAST_RETRY).run()
    assert digest == remote.sha256
    assert fake_hub.range_starts[MODEL_Q8] == [0]


def test_server_ignoring_range_restarts_cleanly(fake_hub: FakeHub, hub_client: HubClient,
                                                tmp_path: Path) -> None:
    remote = hub_client.repo(REPO).files[MODEL_Q8]
    data = fake_hub.repos[REPO].files[MODEL_Q8]
    dest = tmp_path / MODEL_Q8
    dl = ResumableDownload(hub_client, remote, dest, retry=FAST_RETRY)
    dest.with_name(MODEL_Q8 + ".part").write_bytes(data[:1000])
    dest.with_name(MODEL_Q8 + ".part.json").write_text(
        json.dumps({"file": MODEL_Q8, "size": remote.size, "sha256": remote.sha256}))
    fake_hub.faults.ignore_range = True
    assert dl.run() == remote.sha256
    assert dest.read_bytes() == data


def test_mismatched_projector_repo_is_refused(fake_hub: FakeHub, hub_client: HubClient,
                                              registry: ModelRegistry) -> None:
    job = _job(hub_client, registry, repo="test-org/mismatched-GGUF")
    with pytest.raises(Exception, match="does not belong to the model"):
        job.run()
    assert registry.list() == []
    assert not list(job.plan.folder.glob("*.gguf"))


def test_text_only_repo_is_refused_before_downloading(fake_hub: FakeHub, hub_client: HubClient,
                                                      registry: ModelRegistry) -> None:
    with pytest.raises(NoVisionFiles, match="no mmproj"):
        plan_download(hub_client, registry, "test-org/text-only-GGUF")
    assert "tiny-Q4_K_M.gguf" not in fake_hub.served


def test_unknown_repo_and_offline_mode(fake_hub: FakeHub, hub_client: HubClient, registry: ModelRegistry,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(RepositoryNotFound, match="nobody/nothing"):
        hub_client.repo("nobody/nothing")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    before = len(fake_hub.requests)
    with pytest.raises(HubUnavailable, match="HF_HUB_OFFLINE"):
        hub_client.repo(REPO)
    assert len(fake_hub.requests) == before


def test_search_finds_only_repos_with_a_projector(fake_hub: FakeHub, hub_client: HubClient) -> None:
    hits = hub_client.search_vision_repos("test-org")
    assert [h.repo_id for h in hits] == [REPO, "test-org/mismatched-GGUF"]
    assert MMPROJ in hits[0].mmproj_files
    assert any(p == "/api/models" for _, p in fake_hub.requests)


def test_token_from_hf_token_is_sent(fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_testtoken123")
    headers = HubClient(endpoint=fake_hub.url).request_headers()
    assert headers["authorization"] == "Bearer hf_testtoken123"


def test_head_metadata_fills_what_the_listing_lacks(fake_hub: FakeHub, hub_client: HubClient) -> None:
    import dataclasses

    full = hub_client.repo(REPO).files[MMPROJ]
    bare = dataclasses.replace(full, size=None, sha256=None)  # as for a file the listing has no LFS data for
    completed = hub_client.complete(bare)
    assert completed.size == full.size and completed.sha256 == full.sha256
    assert ("HEAD", f"/{REPO}/resolve/{fake_hub.repos[REPO].commit}/{MMPROJ}") in fake_hub.requests
