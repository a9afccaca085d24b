"""The servers the user added: the only ones anything is ever sent to.

Kept in ``servers.json`` in the data directory (schema-versioned, written atomically; the caller gives its
path: core's ``DataPaths.servers``); API keys are not in it but in the ``KeyStore``, under the server's id.
``ServerStore(path=None)`` keeps servers in memory only (the command line's one-off ``--server URL``).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import re
import uuid
from pathlib import Path
from typing import Any

from .errors import ServerAlreadyAdded, ServerNotAdded, UnknownServer
from .keys import KeyStore
from .target import DEFAULT_IMAGE_LONG_SIDE, KeyRef, RemoteTarget, Timeouts, normalize_base_url

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1


@dataclasses.dataclass(frozen=True)
class ServerEntry:
    """One server the user added."""

    id: str
    name: str
    base_url: str  # normalized: http(s)://host:port/v1
    has_key: bool = False
    ca_bundle: str | None = None
    image_long_side: int = DEFAULT_IMAGE_LONG_SIDE
    newest_image_only: bool = False
    timeouts: Timeouts = Timeouts()
    sending_confirmed: bool = False  # the user agreed once that messages to this (remote) server may leave

    def target(self, model: str) -> RemoteTarget:
        """A ``RemoteTarget`` for ``model`` on this server."""
        return RemoteTarget(base_url=self.base_url, model=model, key=KeyRef.stored(self.id) if self.has_key else None,
                            ca_bundle=Path(self.ca_bundle) if self.ca_bundle else None, timeouts=self.timeouts,
                            image_long_side=self.image_long_side, newest_image_only=self.newest_image_only)


def _entry_from_json(raw: dict[str, Any]) -> ServerEntry:
    fields = {f.name for f in dataclasses.fields(ServerEntry)}
    values = {k: v for k, v in raw.items() if k in fields}
    values["timeouts"] = Timeouts(**{k: float(v) for k, v in dict(raw.get("timeouts") or {}).items()
                                     if k in {f.name for f in dataclasses.fields(Timeouts)}})
    return ServerEntry(**values)


class ServerStore:
    """Add, edit, remove and look up servers; keys go to ``keys``."""

    def __init__(self, keys: KeyStore, path: Path | None) -> None:
        """``path``: the JSON file (created on the first change); None keeps the servers in memory only."""
        self.keys = keys
        self._path = path
        self._entries: dict[str, ServerEntry] = {}
        if self._path is not None:
            self._load()

    def list(self) -> list[ServerEntry]:
        """The servers, in the order they were added."""
        return list(self._entries.values())

    def get(self, server_id: str) -> ServerEntry:
        """The server with ``server_id``; ``UnknownServer`` (an ``InputError``) when there is none."""
        try:
            return self._entries[server_id]
        except KeyError:
            raise UnknownServer(server_id) from None

    def find(self, url: str) -> ServerEntry | None:
        """The added server at ``url`` (compared after normalizing), or None."""
        wanted = normalize_base_url(url)
        return next((e for e in self._entries.values() if e.base_url == wanted), None)

    def require(self, url: str) -> ServerEntry:
        """The added server at ``url``; ``ServerNotAdded`` otherwise: the gate before anything is sent."""
        entry = self.find(url)
        if entry is None:
            raise ServerNotAdded(url)
        return entry

    def add(self, base_url: str, name: str = "", api_key: str | None = None, **options: Any) -> ServerEntry:
        """Add a server (``options``: ``ServerEntry`` fields such as ca_bundle, image_long_side, timeouts)."""
        url = normalize_base_url(base_url)
        if self.find(url) is not None:
            raise ServerAlreadyAdded(url)
        server_id = _slug(name or url) + "-" + uuid.uuid4().hex[:6]
        entry = ServerEntry(id=server_id, name=name or url, base_url=url, **options)
        if api_key:
            self.keys.set(server_id, api_key)
            entry = dataclasses.replace(entry, has_key=True)
        self._entries[server_id] = entry
        self._save()
        log.info("added server %s (%s)", entry.name, url)
        return entry

    def update(self, server_id: str, api_key: str | None = None, clear_key: bool = False,
               **changes: Any) -> ServerEntry:
        """Change a server's settings; a new ``api_key`` replaces the kept one, ``clear_key`` forgets it."""
        entry = self.get(server_id)
        if "base_url" in changes:
            changes["base_url"] = normalize_base_url(changes["base_url"])
            other = self.find(changes["base_url"])
            if other is not None and other.id != server_id:
                raise ServerAlreadyAdded(changes["base_url"], other.name)
            changes.setdefault("sending_confirmed", False)  # a new address asks again
        if api_key:
            self.keys.set(server_id, api_key)
            changes["has_key"] = True
        elif clear_key:
            self.keys.delete(server_id)
            changes["has_key"] = False
        entry = dataclasses.replace(entry, **changes)
        self._entries[server_id] = entry
        self._save()
        return entry

    def confirm_sending(self, server_id: str) -> ServerEntry:
        """Record that the user agreed to send to this server (asked once, before the first message)."""
        return self.update(server_id, sending_confirmed=True)

    def remove(self, server_id: str) -> None:
        """Remove a server and forget its key."""
        entry = self.get(server_id)
        if entry.has_key:
            self.keys.delete(server_id)
        del self._entries[server_id]
        self._save()

    def _load(self) -> None:
        assert self._path is not None
        try:
            raw = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            # Keep the damaged file for the user; start with no servers rather than refuse to start.
            backup = self._path.with_name(self._path.name + ".damaged")
            os.replace(self._path, backup)
            log.error("%s could not be read (%s); it was kept as %s and the server list starts empty",
                      self._path, exc, backup)
            return
        for item in raw.get("servers", []) if isinstance(raw, dict) else []:
            try:
                entry = _entry_from_json(item)
            except (TypeError, ValueError) as exc:
                log.error("skipping a damaged server entry in %s: %s", self._path, exc)
                continue
            self._entries[entry.id] = entry

    def _save(self) -> None:
        if self._path is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_name(self._path.name + ".part")
        data = {"schema_version": SCHEMA_VERSION, "servers": [dataclasses.asdict(e) for e in self._entries.values()]}
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, self._path)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower().split("://", 1)[-1]).strip("-")[:40] or "server"
