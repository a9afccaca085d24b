"""``ModelManager``: the one entry point of the desktop app and the command line into the model manager.

Catalog, search, fit, downloads, imports, verify, remove. Blocking methods (``machine_memory``, ``search``,
``plan``, ``verify``, ``import_local``, ``remove``) do network or disk work: a UI calls them off its main
thread. ``download`` returns a ``DownloadJob`` to ``start()`` (or ``run()``) when the caller is ready.
Every fit verdict is computed here, from the catalog's figures or a download plan's sizes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from visiondesk.engine import defaults

from .catalog import CatalogEntry, ModelCatalog
from .errors import NotARepository, RunsOnAServer
from .fit import FitEstimate, MachineMemory, estimate_fit, probe_machine
from .hub import HubClient, SearchHit
from .job import DownloadJob, DownloadPlan, plan_download
from .local_models import VerifyReport, import_local_model, verify_installed
from .registry import InstalledModel, ModelRegistry
from .transfer import RetryPolicy

TYPICAL_KV_BYTES_PER_TOKEN = 131072  # when neither the catalog nor a GGUF header knows better


class ModelManager:
    """Facade over the catalog, the Hub, the registry and download jobs.

    ``hub`` makes a Hub client for each lookup or download (it reads the endpoint and token then);
    ``memory`` probes this machine when a fit is asked for without a ``MachineMemory``.
    """

    def __init__(self, registry: ModelRegistry, *, hub: Callable[[], HubClient] = HubClient,
                 catalog: ModelCatalog | None = None, memory: Callable[[], MachineMemory] = probe_machine,
                 retry: RetryPolicy = RetryPolicy()) -> None:
        self.registry = registry
        self.catalog = catalog or ModelCatalog.load()
        self._hub = hub
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

    def machine_memory(self) -> MachineMemory:
        """RAM and VRAM of this machine (probes; off the UI thread)."""
        return self._memory()

    def search(self, query: str, limit: int = 20) -> list[SearchHit]:
        """Hub repositories with GGUF files and an mmproj (network)."""
        return self._hub().search_vision_repos(query, limit)

    def plan(self, repo_or_catalog_id: str, quant: str | None = None, revision: str | None = None) -> DownloadPlan:
        """Resolve what a download would fetch (network: the repository listing with hashes).

        Raises ``NotARepository`` (an ``InputError``) for something that is neither an owner/name repository nor a
        catalog id, ``RunsOnAServer`` for a catalog entry that is no download.
        """
        entry = self.catalog.find(repo_or_catalog_id)
        if entry is not None and entry.remote:
            raise RunsOnAServer(entry.title, entry.remote)
        repo = entry.repo if entry is not None else repo_or_catalog_id
        if "/" not in repo:
            raise NotARepository(repo_or_catalog_id, [e.id for e in self.catalog.entries])
        return plan_download(self._hub(), self.registry, repo, quant, revision=revision, catalog=self.catalog)

    def fit_for_entry(self, entry: CatalogEntry, quant: str | None = None, n_ctx: int = defaults.CONTEXT_TOKENS,
                      memory: MachineMemory | None = None) -> FitEstimate:
        """Will a catalog model (in ``quant``, else its default) run here? Sizes and KV figure from the catalog."""
        model, projector = entry.estimated_bytes(quant)
        return estimate_fit(model, projector, entry.kv_bytes_per_token * n_ctx, memory or self._memory())

    def fit_for_plan(self, plan: DownloadPlan, n_ctx: int = defaults.CONTEXT_TOKENS,
                     memory: MachineMemory | None = None) -> FitEstimate:
        """Will the planned model run here? Uses the catalog's KV figure, else a typical one."""
        entry = self.catalog.find(plan.repo_id)
        per_token = entry.kv_bytes_per_token if entry is not None else TYPICAL_KV_BYTES_PER_TOKEN
        return estimate_fit(plan.model.size or 0, plan.mmproj.size or 0, per_token * n_ctx,
                            memory or self._memory())

    def download(self, plan: DownloadPlan, chunk_size: int | None = None) -> DownloadJob:
        """A job that downloads, verifies and installs ``plan`` (not started; ``start()`` or ``run()`` it).

        Making a new job for the same plan resumes from the partial files a failed one left.
        """
        if chunk_size is None:
            return DownloadJob(plan, self._hub(), self.registry, retry=self._retry)
        return DownloadJob(plan, self._hub(), self.registry, retry=self._retry, chunk_size=chunk_size)

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
