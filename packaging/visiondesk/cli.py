"""The ``visiondesk`` command: dispatches to the engine, model-manager and desktop commands.

Lives in the package root (not in ``engine/``) because it also starts the Qt app, and the engine
must never import Qt. Each area registers its own subcommands.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from visiondesk import __version__


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser."""
    from visiondesk.engine import cli as engine_cli
    from visiondesk.models import cli as models_cli

    parser = argparse.ArgumentParser(prog="visiondesk", description="Chat with your images, offline.")
    parser.add_argument("--version", action="version", version=f"visiondesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    app = sub.add_parser("app", help="start the desktop app (the default)")
    app.set_defaults(func=_run_app)
    engine_cli.register(sub)
    models_cli.register(sub)
    __import__("visiondesk.api.command").api.command.register(sub)  # api/command.py; re-wired after cli/ moves
    return parser


def _run_app(args: argparse.Namespace) -> int:
    from visiondesk.desktop.app import run_app

    return run_app(list(getattr(args, "qt_args", []) or []))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--visiondesk-engine-child"]:  # a frozen (packaged) app starting its engine process
        from visiondesk.engine.llama.worker.child import main as engine_child

        return engine_child(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        args.func = _run_app
    code: int = args.func(args)
    return code
