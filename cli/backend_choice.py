"""Which backend ``ask`` and ``chat`` answer with: the local engine, or a model on a server (``--server URL``).

A server the user added (``visiondesk servers add``) is used with its settings and kept key. Any other
URL is used for this one run only: it goes into an in-memory server list that is never saved, and the
output says so. Nothing is ever sent to a server that is in neither list. A loopback URL counts as local;
for any other host the output says that images leave this computer.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from typing import Any, TextIO

from visiondesk.engine import Backend, InputError, ModelSpec
from visiondesk.engine.llama.disk_cache import DiskCache
from visiondesk.engine.remote import KeyRef, RemoteTarget, ServerStore, remote_host

from .backends import BackendFactory, RemoteFactory


def add_options(p: argparse.ArgumentParser) -> None:
    """``--server URL`` and ``--api-key-env VAR`` (``--model`` then names a model on that server)."""
    p.add_argument("--server", metavar="URL",
                   help="answer with a model on this OpenAI-compatible server (--model is then its model name); "
                        "a server not added with 'visiondesk servers add' is used for this run only")
    p.add_argument("--api-key-env", metavar="VAR",
                   help="the environment variable holding the server's API key (default: the key kept for it)")


@dataclasses.dataclass(frozen=True)
class BackendChoice:
    """The factories ``ask``, ``chat`` and ``batch`` choose from."""

    local: BackendFactory
    servers: Callable[[], ServerStore]
    remote: RemoteFactory
    disk_cache: Callable[[], DiskCache | None] = lambda: None

    def open(self, args: argparse.Namespace, local_spec: Callable[[], ModelSpec], err: TextIO,
             cached: bool = False) -> tuple[Backend[Any], ModelSpec | RemoteTarget]:
        """A backend (not loaded yet) and what to load into it; says on ``err`` where requests go.

        ``cached``: the local engine keeps its image encodings in ``disk_cache`` (a server keeps its own).
        """
        if not args.server:
            if args.api_key_env:
                raise InputError("--api-key-env is for a server: use it with --server URL.")
            spec = local_spec()  # a bad option fails before any engine is made
            return self.local(self.disk_cache() if cached else None), spec
        for flag, value in (("--mmproj", args.mmproj), ("--chat-template", args.chat_template)):
            if value is not None:
                raise InputError(f"{flag} is for a local model file; a server chooses its own.")
        saved = self.servers()
        entry = saved.find(args.server)
        store = saved
        if entry is None:
            store = ServerStore(saved.keys, path=None)  # this run only: never saved, gone when it ends
            entry = store.add(args.server)
            err.write(f"[{entry.base_url} is not one of your servers: using it for this run only, not saving it "
                      "('visiondesk servers add' keeps it)]\n")
        target = entry.target(str(args.model))
        if args.api_key_env:
            target = dataclasses.replace(target, key=KeyRef.env(args.api_key_env))
        host = remote_host(entry.base_url)
        err.write(f"[remote: {host} — images you send leave this computer]\n" if host
                  else "[server on this computer (loopback)]\n")
        return self.remote(store), target
