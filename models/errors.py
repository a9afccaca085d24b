"""Typed errors of the model manager; each message says what happened and what to do.

``InputError`` subclasses (bad repository name, nothing to pair, not enough disk) make the command
line exit with 2; the rest exit with 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from visiondesk.engine.errors import InputError, VisionDeskError

# mypy cannot follow setuptools' editable-install finder to visiondesk.engine, so the bases are
# ``Any`` to it: hence the ``type: ignore[misc]`` on the subclasses below.


class ModelManagerError(VisionDeskError):  # type: ignore[misc]
    """Base of the model manager's own failures."""

    code: ClassVar[str] = "model_manager"


class HubUnavailable(ModelManagerError):
    """The Hub (or the mirror in HF_ENDPOINT) cannot be reached, or offline mode is on."""

    code: ClassVar[str] = "hub_unavailable"

    def __init__(self, message: str, reason_code: str, *, endpoint: str = "", repo_id: str = "",
                 status: int | None = None) -> None:
        # reason_code: "offline", "busy" (answered 429/5xx every time), "gated", "refused", "unreachable"
        self.reason_code, self.endpoint, self.repo_id = reason_code, endpoint, repo_id
        self.status: int | None = status
        super().__init__(message)


class RepositoryNotFound(InputError):  # type: ignore[misc]
    """No such repository (or it is private and no token was given)."""

    code: ClassVar[str] = "repository_not_found"

    def __init__(self, repo_id: str) -> None:
        self.repo_id = repo_id
        super().__init__(f"The repository {repo_id} was not found. Check the name; if it is private or gated, "
                         "set HF_TOKEN to a token that may read it.")


class NoVisionFiles(InputError):  # type: ignore[misc]
    """A repository lacks a model GGUF, an mmproj GGUF or the requested quantization."""

    code: ClassVar[str] = "no_vision_files"

    def __init__(self, repo_id: str, quant: str | None = None, offered: str = "", *, no_mmproj: bool = False) -> None:
        self.repo_id, self.quant, self.offered, self.no_mmproj = repo_id, quant, offered, no_mmproj
        if no_mmproj:
            message = (f"{repo_id} has no mmproj (vision projector) GGUF file, so VisionDesk cannot see images "
                       "with it. Pick a repository that publishes an mmproj file.")
        else:
            what = f"no {quant} model file (offered: {offered})" if quant else "no model GGUF file"
            message = f"{repo_id} has {what}."
        super().__init__(message)


class NotEnoughDiskSpace(InputError):  # type: ignore[misc]
    """The target disk cannot hold the download (checked before, or the disk filled up during it)."""

    code: ClassVar[str] = "not_enough_disk_space"

    def __init__(self, folder: Path, needed: int, free: int, *, during: bool = False) -> None:
        self.folder, self.needed, self.free, self.during = folder, needed, free, during
        when = "The disk filled up during the download" if during else "Not enough free disk space"
        super().__init__(f"{when}: {folder} needs {_gib(needed)} but has {_gib(free)} free. Free some space "
                         "(or set VISIONDESK_DATA_DIR to a bigger disk) and resume; what was downloaded is kept.")


class ChecksumMismatch(ModelManagerError):
    """A finished download does not have the SHA-256 the Hub published; the file was deleted."""

    code: ClassVar[str] = "checksum_mismatch"

    def __init__(self, name: str, expected: str, actual: str) -> None:
        self.name, self.expected, self.actual = name, expected, actual
        super().__init__(f"{name} is corrupt: its SHA-256 is {actual[:16]}…, the Hub says {expected[:16]}…. "
                         "The damaged file was deleted; download it again.")


class DownloadFailed(ModelManagerError):
    """The transfer kept failing after all retries; the partial file is kept for a later resume."""

    code: ClassVar[str] = "download_failed"

    def __init__(self, name: str, failures: int, detail: str, kept_bytes: int) -> None:
        self.name, self.failures, self.detail, self.kept_bytes = name, failures, detail, kept_bytes
        kept = (f"{kept_bytes} bytes are kept: run the download again later to continue from there."
                if kept_bytes else "Nothing was kept; try again later.")
        super().__init__(f"Downloading {name} failed {failures} times in a row ({detail}). {kept}")


class DownloadBusy(ModelManagerError):
    """Another transfer of the same file (another window, the command line) is running."""

    code: ClassVar[str] = "download_busy"

    def __init__(self, name: str, folder: Path) -> None:
        self.name, self.folder = name, folder
        super().__init__(f"{name} is already being downloaded into {folder} by another VisionDesk window or "
                         "command. Let that one finish (or pause it there) and try again; nothing was changed.")


class DownloadCancelled(ModelManagerError):
    """The user cancelled; partial files were removed."""

    code: ClassVar[str] = "download_cancelled"

    def __init__(self) -> None:
        super().__init__("The download was cancelled.")


class ModelNotInstalled(InputError):  # type: ignore[misc]
    """No installed model has that name."""

    code: ClassVar[str] = "model_not_installed"

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"No installed model is called '{name}'. 'visiondesk models list' shows the names.")


class NotARepository(InputError):  # type: ignore[misc]
    """What was asked for is neither an owner/name repository nor a catalog id."""

    code: ClassVar[str] = "not_a_repository"

    def __init__(self, text: str, catalog_ids: Sequence[str]) -> None:
        self.text, self.catalog_ids = text, tuple(catalog_ids)
        super().__init__(f"'{text}' is neither an owner/name repository nor a catalog id "
                         f"({', '.join(self.catalog_ids)}).")


class RunsOnAServer(InputError):  # type: ignore[misc]
    """A catalog entry that is no download: the model runs on a remote server (``how``: the catalog's words)."""

    code: ClassVar[str] = "runs_on_a_server"

    def __init__(self, title: str, how: str) -> None:
        self.title, self.how = title, how
        super().__init__(f"{title} is not downloaded: {how}")


class ImportNameTaken(InputError):  # type: ignore[misc]
    """A file being imported has the name of a file already in the models folder."""

    code: ClassVar[str] = "import_name_taken"

    def __init__(self, dest: Path) -> None:
        self.dest = dest
        super().__init__(f"{dest} already exists; remove it or import under another name.")


class FilesDoNotPair(InputError):  # type: ignore[misc]
    """A model and a projector do not belong together (``detail``: the pairing check's own words).

    ``stage``: "" (files the user chose), "downloaded" (both were deleted after the download) or "headers"
    (read before downloading: nothing was downloaded).
    """

    code: ClassVar[str] = "files_do_not_pair"

    def __init__(self, detail: str, stage: str = "") -> None:
        self.detail, self.stage = detail, stage
        after = {"downloaded": " Both files were deleted; this repository's files do not belong together.",
                 "headers": " Nothing was downloaded: this repository's files do not belong together."}
        super().__init__(detail + after.get(stage, ""))


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"
