"""What a download job reports, as plain immutable values a UI can turn into signals."""

from __future__ import annotations

import dataclasses
import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .registry import InstalledModel


class JobState(enum.Enum):
    """Life cycle of a download job."""

    PENDING = "pending"
    CHECKING = "checking"  # disk space, existing partial files
    DOWNLOADING = "downloading"
    PAUSED = "paused"
    VERIFYING = "verifying"  # pairing headers once both files are in place
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """Whether the job will not change any more."""
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


@dataclasses.dataclass(frozen=True)
class StateChanged:
    """The job moved to ``state``; ``message`` says why in words."""

    state: JobState
    message: str = ""


@dataclasses.dataclass(frozen=True)
class Progress:
    """Bytes so far, for the current file and the whole job (model + projector)."""

    file_name: str
    file_done: int
    file_total: int | None
    done: int
    total: int
    speed_bps: float  # moving average over the last seconds
    eta_s: float | None  # None while the speed is unknown

    @property
    def fraction(self) -> float:
        """0.0 … 1.0 of the whole job."""
        return self.done / self.total if self.total else 0.0


@dataclasses.dataclass(frozen=True)
class FileVerified:
    """One file finished and its SHA-256 matched the Hub's."""

    file_name: str
    sha256: str


@dataclasses.dataclass(frozen=True)
class Finished:
    """Both files verified and paired; the model is registered."""

    model: InstalledModel


@dataclasses.dataclass(frozen=True)
class Failed:
    """The job stopped on an error; ``error`` carries the user-facing message."""

    error: Exception
    partial_kept: bool  # True: resuming later continues from the .part files


JobEvent = StateChanged | Progress | FileVerified | Finished | Failed
