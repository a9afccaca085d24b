"""The Hugging Face side: repository listings with LFS hashes, file URLs, search, and the HTTP session.

Everything goes through ``huggingface_hub`` so that HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE and proxy
settings behave as users expect. The endpoint is read when a ``HubClient`` is made (not when
``huggingface_hub`` was imported), so setting HF_ENDPOINT later still works.

``huggingface_hub`` (with httpx) takes about half a second to import, so it is imported on first use: when a
``HubClient`` is made or one of its methods runs, never when this module is imported (the desktop window
imports the model manager at start-up and makes a client only when the user searches or downloads). As
``huggingface_hub`` reads HF_HUB_OFFLINE and HF_ENDPOINT when it is imported, that is now the first use,
not the program's start; ``ensure_online`` also reads HF_HUB_OFFLINE at each call.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

from .errors import HubUnavailable, NoVisionFiles, RepositoryNotFound
from .naming import is_gguf, is_mmproj_name, pick_mmproj_file, pick_model_file, quant_from_filename
from .retry import METADATA_RETRY, TRANSIENT_STATUS, RetryPolicy, retry_after_seconds

if TYPE_CHECKING:
    import httpx2

logger = logging.getLogger(__name__)
T = TypeVar("T")
_TRUE = {"1", "on", "yes", "true"}


@dataclasses.dataclass(frozen=True)
class RemoteFile:
    """One file of a Hub repository at a fixed commit."""

    name: str
    size: int | None
    sha256: str | None  # the LFS hash; None for small files kept in git
    url: str


@dataclasses.dataclass(frozen=True)
class RemoteRepo:
    """A repository's files at one commit."""

    repo_id: str
    commit: str
    files: dict[str, RemoteFile]

    def gguf_names(self) -> list[str]:
        """Names of the GGUF files."""
        return [n for n in self.files if is_gguf(n)]

    def quantizations(self) -> list[str]:
        """Quantizations offered as model (non-projector) files."""
        qs = {quant_from_filename(n) for n in self.gguf_names() if not is_mmproj_name(n)}
        return sorted(q for q in qs if q)

    def vision_pair(self, quant: str | None = None) -> tuple[RemoteFile, RemoteFile]:
        """The model file for ``quant`` (or a sensible default) and the projector; ``NoVisionFiles`` if absent."""
        names = self.gguf_names()
        mmproj = pick_mmproj_file(names)
        model = pick_model_file(names, quant)
        if mmproj is None:
            raise NoVisionFiles(self.repo_id, no_mmproj=True)
        if model is None:
            raise NoVisionFiles(self.repo_id, quant, ", ".join(self.quantizations()) or "none")
        return self.files[model], self.files[mmproj]


@dataclasses.dataclass(frozen=True)
class SearchHit:
    """A Hub repository with GGUF files, at least one of them a projector."""

    repo_id: str
    downloads: int
    likes: int
    model_files: tuple[str, ...]
    mmproj_files: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Timeouts:
    """Seconds to wait to connect and between bytes of an answer."""

    connect: float = 15.0
    read: float = 30.0

    def httpx(self) -> httpx2.Timeout:
        """As an httpx timeout."""
        import httpx2

        return httpx2.Timeout(self.read, connect=self.connect)


class HubClient:
    """Talks to the Hub (or a mirror): metadata through ``HfApi``, file bytes through the hub's session."""

    def __init__(self, endpoint: str | None = None, token: str | None = None,
                 timeouts: Timeouts = Timeouts(), retry: RetryPolicy = METADATA_RETRY) -> None:
        from huggingface_hub import HfApi, constants

        self.endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")
        self.token = token
        self.timeouts = timeouts
        self.retry = retry
        self._api = HfApi(endpoint=self.endpoint, token=token)

    def repo(self, repo_id: str, revision: str | None = None) -> RemoteRepo:
        """Files of ``repo_id`` with sizes and LFS SHA-256, pinned to the commit the Hub answers with."""
        with self._translate_errors(repo_id):
            info = self._retrying(lambda: self._api.model_info(repo_id, revision=revision, files_metadata=True,
                                                               timeout=self.timeouts.read))
        commit = info.sha or revision or "main"
        files: dict[str, RemoteFile] = {}
        for s in info.siblings or []:
            sha = s.lfs.sha256 if s.lfs is not None else None
            size = s.lfs.size if s.lfs is not None else s.size
            files[s.rfilename] = RemoteFile(s.rfilename, size, sha, self.file_url(repo_id, s.rfilename, commit))
        return RemoteRepo(repo_id, commit, files)

    def complete(self, remote: RemoteFile) -> RemoteFile:
        """Fill in a missing size (and the SHA-256, for LFS files) from a HEAD request on the file URL."""
        if remote.size is not None and remote.sha256 is not None:
            return remote
        from huggingface_hub import get_hf_file_metadata

        with self._translate_errors(None):
            meta = get_hf_file_metadata(remote.url, token=self.token, timeout=self.timeouts.read,
                                        endpoint=self.endpoint, retry_on_errors=True)
        etag = (meta.etag or "").strip('"').lower()
        sha = remote.sha256 or (etag if len(etag) == 64 and all(c in "0123456789abcdef" for c in etag) else None)
        return dataclasses.replace(remote, size=remote.size if remote.size is not None else meta.size, sha256=sha)

    def file_url(self, repo_id: str, filename: str, revision: str) -> str:
        """The resolve URL of a file on this endpoint."""
        from huggingface_hub import hf_hub_url

        return hf_hub_url(repo_id, filename, revision=revision, endpoint=self.endpoint)

    def search_vision_repos(self, query: str, limit: int = 20) -> list[SearchHit]:
        """GGUF repositories matching ``query`` that contain an mmproj file, most downloaded first."""
        hits: list[SearchHit] = []
        with self._translate_errors(None):
            found = self._retrying(lambda: list(self._api.list_models(
                search=query, filter="gguf", sort="downloads", limit=max(limit * 5, 50),
                expand=["siblings", "downloads", "likes"])))
            for m in found:
                names = [s.rfilename for s in (m.siblings or [])]
                projs = tuple(n for n in names if is_mmproj_name(n))
                models = tuple(n for n in names if is_gguf(n) and not is_mmproj_name(n))
                if projs and models:
                    hits.append(SearchHit(m.id, int(m.downloads or 0), int(m.likes or 0), models, projs))
                if len(hits) >= limit:
                    break
        return hits

    def request_headers(self) -> dict[str, str]:
        """Headers for file requests: user agent, the token (from HF_TOKEN or the login) and no compression."""
        from huggingface_hub.utils._headers import build_hf_headers

        headers = build_hf_headers(token=self.token)
        headers["Accept-Encoding"] = "identity"
        return headers

    @contextlib.contextmanager
    def stream(self, url: str, start: int = 0, end: int | None = None) -> Iterator[httpx2.Response]:
        """GET ``url`` from byte ``start`` on (to ``end``, inclusive), streaming, through huggingface_hub's session."""
        from huggingface_hub import get_session

        self.ensure_online()
        headers = self.request_headers()
        if start or end is not None:
            headers["Range"] = f"bytes={start}-{'' if end is None else end}"
        with get_session().stream("GET", url, headers=headers, timeout=self.timeouts.httpx(),
                                  follow_redirects=True) as response:
            yield response

    def read_range(self, url: str, start: int, length: int, wait: Callable[[float], None] = time.sleep) -> bytes:
        """Bytes ``start`` to ``start + length`` of a file (fewer at its end), retried like metadata.

        Reads no more than asked even from a server that ignores the Range and sends the whole file.
        ``wait(seconds)`` waits between tries; a download job passes one that ends early on cancel.
        """
        def once() -> bytes:
            with self.stream(url, start, start + length - 1) as r:
                if r.status_code == 416:
                    return b""
                if r.status_code >= 400:
                    r.read()
                    self.raise_for_status(r)
                skip = start if r.status_code == 200 else 0
                out = bytearray()
                for piece in r.iter_bytes():
                    out += piece
                    if len(out) >= skip + length:
                        break
                return bytes(out[skip:skip + length])

        with self._translate_errors(None):
            return self._retrying(once, wait)

    def raise_for_status(self, response: httpx2.Response) -> None:
        """Raise ``huggingface_hub``'s error for a 4xx/5xx answer (its ``HfHubHTTPError`` subclasses)."""
        from huggingface_hub import hf_raise_for_status

        hf_raise_for_status(response)

    def ensure_online(self) -> None:
        """Raise ``HubUnavailable`` when HF_HUB_OFFLINE is set (now or when huggingface_hub was imported)."""
        from huggingface_hub import constants

        if constants.is_offline_mode() or os.environ.get("HF_HUB_OFFLINE", "").lower() in _TRUE:
            raise HubUnavailable("Offline mode is on (HF_HUB_OFFLINE), so nothing can be downloaded. Unset "
                                 "HF_HUB_OFFLINE to download, or import a GGUF file you already have.", "offline")

    def _retrying(self, call: Callable[[], T], wait: Callable[[float], None] = time.sleep) -> T:
        """``call()``, again after a 429/5xx answer or a cut connection; ``HubUnavailable`` once retries run out."""
        import httpx2
        from huggingface_hub.errors import HfHubHTTPError

        attempt = 0
        while True:
            attempt += 1
            try:
                return call()
            except HfHubHTTPError as exc:
                status = exc.response.status_code if exc.response is not None else None
                if status not in TRANSIENT_STATUS:
                    raise
                if attempt >= self.retry.max_attempts:
                    raise HubUnavailable(
                        f"The Hub at {self.endpoint} answered {_status_words(status)} {attempt} times in a row. "
                        "It is probably busy or down for maintenance: try again in a few minutes.", "busy",
                        endpoint=self.endpoint, status=status) from exc
                seconds = self.retry.wait_before(attempt, retry_after_seconds(exc.response.headers))
                what = _status_words(status)
            except httpx2.TransportError as exc:
                if attempt >= self.retry.max_attempts:
                    raise
                seconds, what = self.retry.delay(attempt), exc.__class__.__name__
            logger.warning("a request to the Hub failed (%s); retry %d in %.2f s", what, attempt, seconds)
            wait(seconds)

    @contextlib.contextmanager
    def _translate_errors(self, repo_id: str | None) -> Iterator[None]:
        import httpx2
        from huggingface_hub.errors import (
            GatedRepoError,
            HfHubHTTPError,
            OfflineModeIsEnabled,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )

        self.ensure_online()
        try:
            yield
        except GatedRepoError as exc:
            raise HubUnavailable(f"{repo_id} is gated: accept its license on the Hub and set HF_TOKEN "
                                 "to a token of that account.", "gated", repo_id=repo_id or "?") from exc
        except (RepositoryNotFoundError, RevisionNotFoundError) as exc:
            raise RepositoryNotFound(repo_id or "?") from exc
        except OfflineModeIsEnabled as exc:
            raise HubUnavailable(str(exc), "offline") from exc
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            said = f" It said: {exc.server_message.strip()}" if exc.server_message else ""
            raise HubUnavailable(f"The Hub at {self.endpoint} refused the request with {_status_words(status)}."
                                 f"{said}", "refused", endpoint=self.endpoint, status=status) from exc
        except httpx2.TransportError as exc:
            raise HubUnavailable(f"Cannot reach the Hub at {self.endpoint} ({exc.__class__.__name__}: {exc}). "
                                 "Check the connection, proxy settings or HF_ENDPOINT.", "unreachable",
                                 endpoint=self.endpoint) from exc


def _status_words(status: int | None) -> str:
    """``HTTP 503 (Service Unavailable)``: the number for searching, the words for reading."""
    if status is None:
        return "an error"
    try:
        return f"HTTP {status} ({http.HTTPStatus(status).phrase})"
    except ValueError:
        return f"HTTP {status}"
