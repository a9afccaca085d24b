"""The ``visiondesk`` command: dispatches to its sub-commands (ask, chat, models, servers...) or starts the app.

Qt-free like the rest of the core: the desktop app is another front end, started by its module name
only when asked for, so the command line (and a frozen app's engine child) never loads Qt.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from visiondesk import __version__

from . import batch_command, chat_commands, doctor_command, models_commands, serve_command, servers_command
from .backend_choice import BackendChoice
from .backends import CommandContext

DESKTOP_APP = "visiondesk.desktop.app"
ENGINE_CHILD_FLAG = "--visiondesk-engine-child"


def build_parser(context: CommandContext | None = None) -> argparse.ArgumentParser:
    """The full argument parser; the commands get their backend and model manager from ``context``."""
    context = context or CommandContext()
    parser = argparse.ArgumentParser(prog="visiondesk", description="Chat with your images, offline.")
    parser.add_argument("--version", action="version", version=f"visiondesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    app = sub.add_parser("app", help="start the desktop app (the default)")
    app.set_defaults(func=_run_app)
    choice = BackendChoice(context.backend, context.servers, context.remote)
    chat_commands.register(sub, choice)
    doctor_command.register(sub, context.engine)
    models_commands.register(sub, context.models)
    batch_command.register(sub, choice)
    serve_command.register(sub, context.backend)
    servers_command.register(sub, context.servers)
    return parser


def _run_app(args: argparse.Namespace) -> int:
    run_app: Callable[[list[str]], int] = importlib.import_module(DESKTOP_APP).run_app
    return run_app(list(getattr(args, "qt_args", []) or []))


def main(argv: Sequence[str] | None = None, context: CommandContext | None = None) -> int:
    """Entry point of the console script and of ``python -m visiondesk``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == [ENGINE_CHILD_FLAG]:  # a frozen (packaged) app starting its engine process
        from visiondesk.engine.llama.worker.child import main as engine_child

        child_code: int = engine_child(argv[1:])
        return child_code
    parser = build_parser(context)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        args.func = _run_app
    code: int = args.func(args)
    return code
