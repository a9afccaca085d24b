"""What the remote backend connects to: a server's address, a model on it, how to authenticate and wait."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from .errors import BadServerAddress

DEFAULT_IMAGE_LONG_SIDE = 1500


@dataclasses.dataclass(frozen=True)
class KeyRef:
    """Where an API key is kept: the credential store under a server's id, or an environment variable.

    The key itself never sits in a target, a settings file or a log line.
    """

    source: Literal["store", "env"]
    name: str

    @classmethod
    def stored(cls, server_id: str) -> KeyRef:
        """The key kept for ``server_id`` in the credential store (``KeyStore``)."""
        return cls("store", server_id)

    @classmethod
    def env(cls, variable: str) -> KeyRef:
        """The key in environment variable ``variable`` (the command line's ``--api-key-env``)."""
        return cls("env", variable)


@dataclasses.dataclass(frozen=True)
class Timeouts:
    """How long to wait, in seconds: for the connection, for the first byte of the answer, between chunks.

    The first byte comes after the server has read the whole prompt, images included: a large model on a
    busy server can take minutes, so that wait is long; a pause in the middle of an answer is not normal.
    """

    connect_s: float = 10.0
    first_byte_s: float = 300.0
    between_chunks_s: float = 60.0


@dataclasses.dataclass(frozen=True)
class RemoteTarget:
    """One model on one OpenAI-compatible server."""

    base_url: str  # as the user typed it: http(s)://host:port, with or without /v1
    model: str
    key: KeyRef | None = None
    ca_bundle: Path | None = None  # a PEM file of extra certificate authorities; verification stays on
    timeouts: Timeouts = Timeouts()
    image_long_side: int = DEFAULT_IMAGE_LONG_SIDE  # images are downscaled to this many pixels on the long side
    newest_image_only: bool = False  # send only the newest image of the conversation (one-image servers)
    retries: int = 2  # attempts after the first, only before the first token arrives

    @property
    def api_url(self) -> str:
        """The OpenAI API root (``.../v1``) the client talks to."""
        return normalize_base_url(self.base_url)

    @property
    def root_url(self) -> str:
        """scheme://host:port, where servers keep their own endpoints (``/api/show``, ``/props``...)."""
        parts = urlsplit(self.api_url)
        return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def normalize_base_url(url: str) -> str:
    """``http(s)://host[:port]/path`` without a trailing slash; a bare host gets ``/v1``.

    Raises ``BadServerAddress`` (an ``InputError``) for what is not an http(s) URL (a remote file path, ftp://, a typo).
    """
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadServerAddress(url)
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError as exc:
        raise BadServerAddress(url, bad_port=True) from exc
    path = parts.path.rstrip("/")
    if path.endswith("/chat/completions"):
        path = path[: -len("/chat/completions")]
    if not path:
        path = "/v1"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
