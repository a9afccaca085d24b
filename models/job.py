"""A model download: model + projector as one job, with progress, pause, resume and cancel.

Threading: ``start()`` runs the job on its own worker thread; ``run()`` runs it on the calling thread
(the command line). ``pause()``, ``resume()`` and ``cancel()`` may be called from any thread. Events are
delivered to listeners *on the worker thread*: a Qt dialog should re-emit them as signals with a
queued connection and never touch widgets from the listener itself.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from visiondesk.engine.errors import InputError

from .catalog import ModelCatalog
from .errors import DownloadCancelled, FilesDoNotPair, HubUnavailable, ModelManagerError, NotEnoughDiskSpace
from .events import Failed, FileVerified, Finished, JobEvent, JobState, Progress, StateChanged
from .fit import DISK_MARGIN, disk_needed, free_disk_bytes
from .hashing import sha256_file
from .hub import HubClient, RemoteFile
from .naming import quant_from_filename
from .pairing import HEADER_PROBE_BYTES, check_model_pair, check_remote_pair
from .paths import model_folder
from .registry import InstalledFile, InstalledModel, ModelRegistry, utc_now
from .transfer import Paused, ResumableDownload, RetryPolicy, TransferControl

logger = logging.getLogger(__name__)
Listener = Callable[[JobEvent], None]


@dataclasses.dataclass(frozen=True)
class DownloadPlan:
    """What one job fetches: a model file and its projector from one repository commit."""

    name: str
    repo_id: str
    commit: str
    quant: str
    model: RemoteFile
    mmproj: RemoteFile
    folder: Path

    @property
    def total_bytes(self) -> int:
        """Size of both files (0 for unknown sizes)."""
        return (self.model.size or 0) + (self.mmproj.size or 0)


def plan_download(hub: HubClient, registry: ModelRegistry, repo_id: str, quant: str | None = None, *,
                  revision: str | None = None, catalog: ModelCatalog | None = None) -> DownloadPlan:
    """Look the repository up and choose the model file and projector to download.

    The catalog's names win when it knows the repository (and they exist at this commit); otherwise the
    requested quantization (default Q4_K_M) and the projector are picked from the file list.
    """
    remote = hub.repo(repo_id, revision)
    entry = catalog.find(repo_id) if catalog is not None else None
    model, mmproj = None, None
    if entry is not None and entry.mmproj is not None and (quant is None or quant.upper() in entry.quantizations):
        m, p = entry.model_file(quant).name, entry.mmproj.name
        if m in remote.files and p in remote.files:
            model, mmproj = remote.files[m], remote.files[p]
    if model is None or mmproj is None:
        model, mmproj = remote.vision_pair(quant)
    model, mmproj = hub.complete(model), hub.complete(mmproj)
    q = quant_from_filename(model.name) or (quant or "unknown").upper()
    base = entry.id if entry is not None else repo_id.rsplit("/", 1)[-1]
    return DownloadPlan(name=f"{base}-{q}".lower() if entry is None else f"{base}-{q.lower()}",
                        repo_id=repo_id, commit=remote.commit, quant=q, model=model, mmproj=mmproj,
                        folder=model_folder(repo_id, registry.models_dir))


class _SpeedMeter:
    """Bytes per second over a sliding window of a few seconds."""

    def __init__(self, window_s: float = 5.0) -> None:
        self.window = window_s
        self.samples: collections.deque[tuple[float, int]] = collections.deque()

    def add(self, n: int) -> float:
        now = time.monotonic()
        self.samples.append((now, n))
        while self.samples and now - self.samples[0][0] > self.window:
            self.samples.popleft()
        span = now - self.samples[0][0]
        return sum(s for _, s in self.samples) / span if span > 0.2 else 0.0


class DownloadJob:
    """Downloads, verifies and registers one model with its projector."""

    def __init__(self, plan: DownloadPlan, hub: HubClient, registry: ModelRegistry, *,
                 retry: RetryPolicy = RetryPolicy(), chunk_size: int = 1 << 20, check_disk: bool = True,
                 disk_margin: int = DISK_MARGIN, progress_interval_s: float = 0.2,
                 header_probe_bytes: int = HEADER_PROBE_BYTES) -> None:
        self.plan, self.hub, self.registry = plan, hub, registry
        self.header_probe_bytes = header_probe_bytes
        self.control = TransferControl()
        self.check_disk, self.disk_margin = check_disk, disk_margin
        self.progress_interval = progress_interval_s
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []
        self._state = JobState.PENDING
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self.result: InstalledModel | None = None
        self.error: Exception | None = None
        self._speed = _SpeedMeter()
        self._last_emit = 0.0
        self._current: ResumableDownload | None = None
        self.transfers = [
            ResumableDownload(hub, f, plan.folder / f.name, control=self.control, retry=retry,
                              chunk_size=chunk_size, on_bytes=self._on_bytes)
            for f in (plan.model, plan.mmproj)
        ]

    # -- control (any thread) -------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(event)`` for every event (on the worker thread; keep it short, never block)."""
        with self._lock:
            self._listeners.append(listener)

    @property
    def state(self) -> JobState:
        """The current state."""
        with self._lock:
            return self._state

    def start(self) -> None:
        """Run the job on a new daemon worker thread."""
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("the job was already started")
            self._thread = threading.Thread(target=self._run_catching, name=f"download {self.plan.name}",
                                            daemon=True)
        self._thread.start()

    def run(self) -> InstalledModel:
        """Run on the calling thread; return the registered model or raise the error."""
        self._run_catching()
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result

    def pause(self) -> None:
        """Stop transferring soon, keeping the partial files."""
        self.control.request_pause()

    def resume(self) -> None:
        """Continue after ``pause`` from the bytes on disk."""
        self.control.clear_pause()

    def cancel(self) -> None:
        """Stop and delete the partial files (finished files of this job stay only if registered)."""
        self.control.request_cancel()

    def events(self, poll_s: float = 0.1) -> Iterator[JobEvent]:
        """Start the job (if needed) and yield its events on the calling thread until it finishes.

        For generator-style workers (napari/superqt ``thread_worker``): each event is yielded as it comes;
        call ``pause``/``resume``/``cancel`` from elsewhere as usual.
        """
        inbox: queue.Queue[JobEvent] = queue.Queue()
        self.add_listener(inbox.put)
        if self._thread is None:
            self.start()
        while True:
            try:
                yield inbox.get(timeout=poll_s)
            except queue.Empty:
                if self._done.is_set() and inbox.empty():
                    return

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished; False on time-out."""
        return self._done.wait(timeout)

    # -- worker ---------------------------------------------------------------------------------
    def _run_catching(self) -> None:
        try:
            self.result = self._run()
            self._set_state(JobState.DONE, f"{self.plan.name} is installed and verified.")
            self._emit(Finished(self.result))
        except DownloadCancelled as exc:
            for t in self.transfers:
                t.discard()
            self.registry.prune_empty(self.plan.folder)
            self.error = exc
            self._set_state(JobState.CANCELLED, "Cancelled; the partial files were deleted.")
        except Exception as exc:  # every failure is reported to the listener, never lost on a thread
            if isinstance(exc, (InputError, ModelManagerError)):
                logger.warning("download failed: %s", exc)
            else:
                logger.exception("download of %s failed", self.plan.name)
            self.error = exc
            kept = any(t.part.exists() and t.part.stat().st_size > 0 for t in self.transfers)
            self.registry.prune_empty(self.plan.folder)
            self._set_state(JobState.FAILED, str(exc))
            self._emit(Failed(exc, kept))
        finally:
            self._done.set()

    def _run(self) -> InstalledModel:
        self._set_state(JobState.CHECKING, "Checking disk space and partial downloads")
        existing = self._already_installed()
        if existing is not None:
            return existing
        self._check_headers_first()
        if self.check_disk:
            self._check_disk()
        digests: dict[str, str] = {}
        for transfer in self.transfers:
            if transfer.dest.exists() and not transfer.part.exists():
                digests[transfer.remote.name] = self._verify_existing(transfer)
                continue
            while True:
                self._set_state(JobState.DOWNLOADING, f"Downloading {transfer.remote.name}")
                self._current = transfer
                try:
                    digests[transfer.remote.name] = transfer.run()
                    break
                except Paused:
                    self._set_state(JobState.PAUSED, f"Paused; {self._done_bytes()} bytes kept on disk")
                    self.control.wait_while_paused()
            self._emit(FileVerified(transfer.remote.name, digests[transfer.remote.name]))
        self._set_state(JobState.VERIFYING, "Checking that the projector fits the model")
        model_t, proj_t = self.transfers
        pair = check_model_pair(model_t.dest, proj_t.dest)
        if not pair.ok:
            for t in self.transfers:
                t.dest.unlink(missing_ok=True)
            raise FilesDoNotPair(pair.message, "downloaded")
        installed = InstalledModel(
            name=self.plan.name,
            model=InstalledFile(model_t.dest, model_t.dest.stat().st_size, digests[model_t.remote.name]),
            mmproj=InstalledFile(proj_t.dest, proj_t.dest.stat().st_size, digests[proj_t.remote.name]),
            quant=self.plan.quant, source=f"hf:{self.plan.repo_id}@{self.plan.commit}", verified_at=utc_now(),
            owned=True, architecture=pair.model.architecture)
        self.registry.add(installed)
        return installed

    def _check_headers_first(self) -> None:
        """Read both headers with Range requests and refuse a pair that does not fit before the weights come."""
        if all(t.dest.exists() and not t.part.exists() for t in self.transfers):
            return  # both on disk already: checked after verification, as usual
        try:
            early = check_remote_pair(self.hub, self.plan.model, self.plan.mmproj,
                                      probe_bytes=self.header_probe_bytes, wait=self._wait_unless_cancelled)
        except HubUnavailable as exc:  # the transfer has its own retries, and the pair is checked after it
            logger.warning("could not read the headers before downloading: %s", exc)
            return
        if early is not None and not early.ok:
            raise FilesDoNotPair(early.message, "headers")

    def _wait_unless_cancelled(self, seconds: float) -> None:
        """Sleep between header-read retries, but stop at once on cancel (a pause waits for the transfer)."""
        deadline = time.monotonic() + seconds
        while not self.control.cancelled and (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.1))
        if self.control.cancelled:
            raise DownloadCancelled()

    def _already_installed(self) -> InstalledModel | None:
        for m in self.registry.list():
            if (m.model.path == self.transfers[0].dest and m.mmproj is not None
                    and m.mmproj.path == self.transfers[1].dest and m.model.path.exists()
                    and m.mmproj.path.exists() and m.model.sha256 == self.plan.model.sha256):
                logger.info("%s is already installed as %s", self.plan.repo_id, m.name)
                return m
        return None

    def _verify_existing(self, transfer: ResumableDownload) -> str:
        """A finished file from an earlier run (e.g. the app closed between the two files): hash it again."""
        digest = sha256_file(transfer.dest, should_stop=lambda: self.control.cancelled)
        self.control.check()
        expected = transfer.remote.sha256
        if (expected is not None and digest != expected) or (
                transfer.remote.size is not None and transfer.dest.stat().st_size != transfer.remote.size):
            transfer.dest.unlink()
            return transfer.run()
        self._on_bytes(0)
        return digest

    def _check_disk(self) -> None:
        on_disk = sum(t.bytes_on_disk for t in self.transfers)
        needed = disk_needed([self.plan.model.size or 0, self.plan.mmproj.size or 0], on_disk, self.disk_margin)
        free = free_disk_bytes(self.plan.folder)
        if free < needed:
            raise NotEnoughDiskSpace(self.plan.folder, needed, free)

    def _done_bytes(self) -> int:
        return sum(t.bytes_on_disk for t in self.transfers)

    def _on_bytes(self, n: int) -> None:
        speed = self._speed.add(n)
        now = time.monotonic()
        cur = self._current
        finished = cur is not None and cur.remote.size is not None and cur.bytes_on_disk >= cur.remote.size
        if now - self._last_emit < self.progress_interval and not finished:
            return
        self._last_emit = now
        done, total = self._done_bytes(), self.plan.total_bytes
        eta = (total - done) / speed if speed > 0 and total else None
        name = cur.remote.name if cur is not None else ""
        file_done = cur.bytes_on_disk if cur is not None else 0
        self._emit(Progress(name, file_done, cur.remote.size if cur else None, done, total, speed, eta))

    def _set_state(self, state: JobState, message: str = "") -> None:
        with self._lock:
            if self._state == state and state != JobState.DOWNLOADING:
                return
            self._state = state
        self._emit(StateChanged(state, message))

    def _emit(self, event: JobEvent) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a broken listener must not kill the download
                logger.exception("download listener failed on %r", event)
