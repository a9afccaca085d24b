"""``visiondesk servers list|add|remove|test``: the OpenAI-compatible servers VisionDesk may send to.

A server is named by its name, its id or its URL. API keys are read from an environment variable
(``--api-key-env VAR``), never from the command line itself (other users can read a process's arguments),
and kept in the system's credential store. Exit codes: 0 success, 2 bad input (an unknown server, a bad
URL), 1 a server that fails its test (unreachable, key refused).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from visiondesk.engine import InputError, VisionDeskError
from visiondesk.engine.remote import ServerEntry, ServerReport, ServerStore, remote_host, test_server

ServersFactory = Callable[[], ServerStore]


def register(sub: Any, make_servers: ServersFactory) -> None:
    """Add ``servers`` and its sub-commands to the top-level parser; they work on ``make_servers()``."""
    p = sub.add_parser("servers", help="the OpenAI-compatible servers (vLLM, Ollama, llama-server...) you use")
    ops = p.add_subparsers(dest="servers_command", metavar="SUBCOMMAND", required=True)
    ls = ops.add_parser("list", help="list your servers")
    ls.set_defaults(func=lambda args: _run(run_list, args, make_servers))
    add = ops.add_parser("add", help="add a server")
    add.add_argument("url", help="the server's address, e.g. http://192.168.1.20:8000 or https://gpu.example.org/v1")
    add.add_argument("--name", default="", help="a name to call it by (default: its address)")
    add.add_argument("--api-key-env", metavar="VAR", help="the environment variable holding its API key")
    add.add_argument("--ca-bundle", type=Path, metavar="PEM", help="extra certificate authorities (a .pem file)")
    add.add_argument("--test", action="store_true", help="test it once added")
    add.set_defaults(func=lambda args: _run(run_add, args, make_servers))
    rm = ops.add_parser("remove", help="remove a server and forget its key")
    rm.add_argument("server", help="its name, id or URL")
    rm.set_defaults(func=lambda args: _run(run_remove, args, make_servers))
    test = ops.add_parser("test", help="reachable? which models, which see images?")
    test.add_argument("server", help="its name, id or URL")
    test.set_defaults(func=lambda args: _run(run_test, args, make_servers))


def _run(command: Callable[[argparse.Namespace, ServerStore], int], args: argparse.Namespace,
         make_servers: ServersFactory) -> int:
    try:
        return command(args, make_servers())
    except VisionDeskError as exc:
        sys.stderr.write(f"visiondesk: {exc}\n")
        return 2 if isinstance(exc, InputError) else 1


def find_server(servers: ServerStore, which: str) -> ServerEntry:
    """The server called ``which`` (name, id or URL); ``InputError`` naming the servers there are."""
    for entry in servers.list():
        if which in (entry.id, entry.name):
            return entry
    try:
        entry_by_url = servers.find(which)
    except InputError:
        entry_by_url = None
    if entry_by_url is not None:
        return entry_by_url
    names = ", ".join(e.name for e in servers.list()) or "none yet ('visiondesk servers add URL')"
    raise InputError(f"'{which}' is not one of your servers. Your servers: {names}.")


def _where(entry: ServerEntry) -> str:
    host = remote_host(entry.base_url)
    return f"remote: {host}" if host else "this computer"


def run_list(args: argparse.Namespace, servers: ServerStore) -> int:
    """One line per server: name, URL, key, where it is."""
    entries = servers.list()
    if not entries:
        sys.stdout.write("No servers yet. Add one with: visiondesk servers add URL [--name NAME]\n")
        return 0
    for e in entries:
        key = "key kept" if e.has_key else "no key"
        sys.stdout.write(f"{e.name}\t{e.base_url}\t{key}\t{_where(e)}\tid {e.id}\n")
    return 0


def run_add(args: argparse.Namespace, servers: ServerStore) -> int:
    """Add a server (its key from ``--api-key-env``), then test it when asked."""
    key = None
    if args.api_key_env:
        key = os.environ.get(args.api_key_env, "")
        if not key:
            raise InputError(f"--api-key-env {args.api_key_env}: that environment variable is not set or empty.")
    options: dict[str, Any] = {}
    if args.ca_bundle is not None:
        if not args.ca_bundle.is_file():
            raise InputError(f"--ca-bundle {args.ca_bundle}: no such file.")
        options["ca_bundle"] = str(args.ca_bundle.resolve())
    entry = servers.add(args.url, name=args.name, api_key=key, **options)
    sys.stdout.write(f"Added {entry.name} ({entry.base_url}, {_where(entry)}), id {entry.id}.\n")
    if key and servers.keys.notice:
        sys.stderr.write(f"[{servers.keys.notice}]\n")
    return _report(test_server(entry, servers.keys)) if args.test else 0


def run_remove(args: argparse.Namespace, servers: ServerStore) -> int:
    """Remove a server and its kept key."""
    entry = find_server(servers, args.server)
    servers.remove(entry.id)
    sys.stdout.write(f"Removed {entry.name} ({entry.base_url}).\n")
    return 0


def run_test(args: argparse.Namespace, servers: ServerStore) -> int:
    """Reachable? Which server program, which models, which of them see images."""
    return _report(test_server(find_server(servers, args.server), servers.keys))


def _report(report: ServerReport) -> int:
    if report.error is not None:
        state = "reachable, but" if report.reachable else "not reachable:"
        sys.stdout.write(f"{report.url}: {state} {report.error}\n")
        return 1
    sys.stdout.write(f"{report.url}: reachable, {report.kind}, {len(report.models)} model(s)"
                     f"{', remote: ' + report.remote_host if report.remote_host else ', on this computer'}\n")
    for m in report.models:
        vision = {True: "sees images", False: "text only", None: "vision unknown until an image is tried"}[m.vision]
        context = f", context {m.n_ctx}" if m.n_ctx else ""
        sys.stdout.write(f"  {m.id}: {vision}{context}\n")
    return 0
