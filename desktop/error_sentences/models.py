"""Sentences of the model manager's errors: the Hub, repositories, disk space, downloads, installed models."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from ..data_size import format_size
from .fill import Attributes, Sentence, fill, listed

_T = QCoreApplication


def _status(value: object) -> str:
    return f"HTTP {value}" if value is not None else "HTTP ?"


def _hub_unavailable(a: Attributes) -> str:
    reason = a["reason_code"]
    if reason == "offline":
        return _T.translate("EngineErrors", "Offline mode is on (HF_HUB_OFFLINE), so nothing can be downloaded. Unset "
                            "HF_HUB_OFFLINE to download, or import a GGUF file you already have.")
    if reason == "gated":
        return fill(_T.translate("EngineErrors", "%1 is gated: accept its license on the Hub and set HF_TOKEN to a "
                                 "token of that account."), a["repo_id"])
    if reason == "busy":
        return fill(_T.translate("EngineErrors", "The Hub at %1 answered %2 again and again. It is probably busy or "
                                 "down for maintenance: try again in a few minutes."), a["endpoint"],
                    _status(a["status"]))
    if reason == "refused":
        return fill(_T.translate("EngineErrors", "The Hub at %1 refused the request with %2."), a["endpoint"],
                    _status(a["status"]))
    if reason == "unreachable":
        return fill(_T.translate("EngineErrors", "Cannot reach the Hub at %1. Check the connection, proxy settings or "
                                 "HF_ENDPOINT."), a["endpoint"])
    raise KeyError(reason)


def _no_vision_files(a: Attributes) -> str:
    if a["no_mmproj"]:
        return fill(_T.translate("EngineErrors", "%1 has no mmproj (vision projector) GGUF file, so VisionDesk cannot "
                                 "see images with it. Pick a repository that publishes an mmproj file."), a["repo_id"])
    if a["quant"]:
        return fill(_T.translate("EngineErrors", "%1 has no %2 model file (it offers: %3)."), a["repo_id"], a["quant"],
                    a["offered"])
    return fill(_T.translate("EngineErrors", "%1 has no model GGUF file."), a["repo_id"])


def _not_enough_disk_space(a: Attributes) -> str:
    if a["during"]:
        template = _T.translate("EngineErrors", "The disk filled up during the download: %1 needs %2 but has %3 free. "
                                "Free some space and resume; what was downloaded is kept.")
    else:
        template = _T.translate("EngineErrors", "Not enough free disk space: %1 needs %2 but has %3 free. Free some "
                                "space and try again.")
    return fill(template, a["folder"], format_size(int(str(a["needed"]))), format_size(int(str(a["free"]))))


def _download_failed(a: Attributes) -> str:
    kept = int(str(a["kept_bytes"]))
    if kept:
        return fill(_T.translate("EngineErrors", "Downloading %1 failed %2 times in a row. %3 are kept: download it "
                                 "again later to continue from there."), a["name"], a["failures"], format_size(kept))
    return fill(_T.translate("EngineErrors", "Downloading %1 failed %2 times in a row. Nothing was kept; try again "
                             "later."), a["name"], a["failures"])


def _files_do_not_pair(a: Attributes) -> str:
    templates = {
        "": _T.translate("EngineErrors", "%1", "a model and a projector that do not pair, the check's words"),
        "downloaded": _T.translate("EngineErrors", "%1 Both files were deleted; this repository's files do not belong "
                                   "together."),
        "headers": _T.translate("EngineErrors", "%1 Nothing was downloaded: this repository's files do not belong "
                                "together."),
    }
    return fill(templates[str(a["stage"])], a["detail"])


SENTENCES: dict[str, Sentence] = {
    "model_manager": lambda a: fill(_T.translate("EngineErrors", "%1", "the model manager's error, its own message"),
                                    a["message"]),
    "hub_unavailable": _hub_unavailable,
    "repository_not_found": lambda a: fill(_T.translate(
        "EngineErrors", "The repository %1 was not found. Check the name; if it is private or gated, set HF_TOKEN to a "
        "token that may read it."), a["repo_id"]),
    "no_vision_files": _no_vision_files,
    "not_enough_disk_space": _not_enough_disk_space,
    "checksum_mismatch": lambda a: fill(_T.translate(
        "EngineErrors", "%1 is corrupt: its checksum differs from the one the Hub published. The damaged file was "
        "deleted; download it again."), a["name"]),
    "download_failed": _download_failed,
    "download_busy": lambda a: fill(_T.translate(
        "EngineErrors", "%1 is already being downloaded into %2 by another VisionDesk window or command. Let that one "
        "finish (or pause it there) and try again; nothing was changed."), a["name"], a["folder"]),
    "download_cancelled": lambda a: _T.translate("EngineErrors", "The download was cancelled."),
    "not_a_repository": lambda a: fill(_T.translate(
        "EngineErrors", "'%1' is neither an owner/name repository nor a catalog id (%2)."), a["text"],
        ", ".join(listed(a["catalog_ids"]))),
    "runs_on_a_server": lambda a: fill(_T.translate(
        "EngineErrors", "%1 is not a download: it runs on a server. Serve it with vLLM (or another OpenAI-compatible "
        "server) and add that server on the Servers page."), a["title"]),
    "import_name_taken": lambda a: fill(_T.translate(
        "EngineErrors", "%1 already exists; remove it or import under another name."), a["dest"]),
    "files_do_not_pair": _files_do_not_pair,
    "model_not_installed": lambda a: fill(_T.translate(
        "EngineErrors", "No installed model is called '%1'. The model manager lists the installed models."),
        a["name"]),
}
