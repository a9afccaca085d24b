"""``ModelManager``: the one object a UI needs — catalog, search, fit, downloads, imports, verify, remove.

Blocking methods (``search``, ``plan``, ``verify``, ``import_local``, ``remove``) do network or disk work:
a UI calls them off its main thread. ``start_download`` returns a running ``DownloadJob`` at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from visiondesk.engine.gguf_header import read_gguf_info

from .catalog import CatalogEntry, ModelCatalog
from .fit import FitEstimate, MachineMemory, estimate_fit, kv_cache_bytes, probe_machine
from .hub import HubClient, SearchHit
from .job import DownloadJob, DownloadPlan, Listener, plan_download
from .local_models import VerifyReport, import_local_model, verify_installed
from .registry import InstalledModel, ModelRegistry
from .transfer import RetryPolicy

logger = logging.getLogger(__name__)
TYPICAL_KV_BYTES_PER_TOKEN = 131072  # when neither the catalog nor a GGUF header knows better


class ModelManager:
    """Facade over the catalog, the Hub, the registry and download jobs."""

    def __init__(self, hub: HubClient | None = None, registry: ModelRegistry | None = None,
                 catalog: ModelCatalog | None = None, memory: Callable[[], MachineMemory] = probe_machine,
                 retry: RetryPolicy = RetryPolicy()) -> None:
        self.hub = hub or HubClient()
        self.registry = registry or ModelRegistry()
        self.catalog = catalog or ModelCatalog.load()
        self._memory = memory
        self._retry = retry

    def catalog_entries(self) -> list[CatalogEntry]:
        """The curated models."""
        return self.catalog.entries

    def installed(self) -> list[InstalledModel]:
        """Installed models."""
        return self.registry.list()

    def disk_use(self) -> int:
        """Bytes taken by models VisionDesk owns."""
        return self.registry.total_disk_use()

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Hub repositories with GGUF files and an mmproj (network)."""
        return self.hub.search_vision_repos(query, limit)

    def plan(self, repo_or_catalog_id: str, quant: str | None = None) -> DownloadPlan:
        """Resolve what a download would fetch (network: the repository listing with hashes)."""
        entry = self.catalog.find(repo_or_catalog_id)
        repo = entry.repo if entry is not None else repo_or_catalog_id
        return plan_download(self.hub, self.registry, repo, quant, catalog=self.catalog)

    def fit_for_plan(self, plan: DownloadPlan, n_ctx: int = 4096) -> FitEstimate:
        """Will the planned model run here? Uses the catalog's KV figure, else a typical one."""
        entry = self.catalog.find(plan.repo_id)
        per_token = entry.kv_bytes_per_token if entry is not None else TYPICAL_KV_BYTES_PER_TOKEN
        return estimate_fit(plan.model.size or 0, plan.mmproj.size or 0, per_token * n_ctx, self._memory())

    def fit_for_files(self, model: Path, mmproj: Path | None, n_ctx: int = 4096) -> FitEstimate:
        """Will local files run here? Weights and KV cache come from the GGUF headers."""
        info = read_gguf_info(model)
        kv = kv_cache_bytes(info.kv_bytes_per_token_per_layer(), info.n_layers, n_ctx)
        proj = mmproj.stat().st_size if mmproj is not None else 0
        return estimate_fit(info.tensor_bytes, proj, kv, self._memory())

    def start_download(self, plan: DownloadPlan, listener: Listener | None = None) -> DownloadJob:
        """Start downloading on a worker thread; the returned job can be paused, resumed and cancelled."""
        job = DownloadJob(plan, self.hub, self.registry, retry=self._retry)
        if listener is not None:
            job.add_listener(listener)
        job.start()
        return job

    def import_local(self, model: Path, mmproj: Path | None = None, *, copy: bool = False,
                     name: str | None = None) -> InstalledModel:
        """Register local GGUF files (finding the projector beside the model when not given)."""
        return import_local_model(self.registry, model, mmproj, copy=copy, name=name)

    def verify(self, name: str) -> VerifyReport:
        """Re-hash an installed model ("Verify again")."""
        return verify_installed(self.registry, name)

    def remove(self, name: str) -> int:
        """Uninstall (the UI confirms first); returns bytes freed."""
        return self.registry.remove(name)
