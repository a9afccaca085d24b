"""The facade a Qt dialog drives: plan, fit, generator-style download events, pause/cancel from outside."""

from __future__ import annotations

from visiondesk.models.events import Finished, JobState, Progress, StateChanged
from visiondesk.models.fit import GIB, Fit, MachineMemory
from visiondesk.models.hub import HubClient
from visiondesk.models.manager import ModelManager

from tests.models.conftest import FAST_RETRY, MMPROJ, MODEL_Q4, REPO, open_registry
from tests.models.hf_server import FakeHub

BIG_PC = MachineMemory(ram_total=64 * GIB, ram_available=48 * GIB, vram_total=24 * GIB, vram_free=24 * GIB)


def _manager(hub_client: HubClient) -> ModelManager:
    return ModelManager(open_registry(), hub=lambda: hub_client, memory=lambda: BIG_PC, retry=FAST_RETRY)


def test_plan_fit_and_download_as_a_generator(fake_hub: FakeHub, hub_client: HubClient) -> None:
    mgr = _manager(hub_client)
    plan = mgr.plan(REPO)
    assert (plan.model.name, plan.mmproj.name) == (MODEL_Q4, MMPROJ)
    assert mgr.fit_for_plan(plan).fit is Fit.GPU
    job = mgr.download(plan)
    job.start()
    events = list(job.events())
    states = [e.state for e in events if isinstance(e, StateChanged)]
    assert states[-1] is JobState.DONE and JobState.DOWNLOADING in states
    assert any(isinstance(e, Progress) for e in events)
    finished = [e for e in events if isinstance(e, Finished)]
    assert finished and mgr.installed() == [finished[0].model]
    assert mgr.disk_use() == finished[0].model.size
    assert mgr.verify(finished[0].model.name).ok
    assert mgr.remove(finished[0].model.name) == finished[0].model.size


def test_cancel_from_another_thread_while_iterating(fake_hub: FakeHub, hub_client: HubClient) -> None:
    fake_hub.faults.throttle_bps = 2_000_000
    mgr = _manager(hub_client)
    job = mgr.download(mgr.plan(REPO))
    job.start()
    for e in job.events():
        if isinstance(e, Progress) and e.done > 200_000:
            job.cancel()
    assert job.state is JobState.CANCELLED and mgr.installed() == []
