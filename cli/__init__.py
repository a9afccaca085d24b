"""The ``visiondesk`` command: dispatches to its sub-commands (ask, chat, models, servers...) or starts the app.

Qt-free like the rest of the core: the desktop app is another front end, started by its module name
only when asked for, so the command line (and a frozen app's engine child) never loads Qt. The command
modules (and what they import: the engine, the model manager, the HTTP clients) are imported only for a
command: ``--version``, the window and the engine child start without them.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from visiondesk import __version__

if TYPE_CHECKING:
    from .backends import CommandContext

DESKTOP_APP = "visiondesk.desktop.app"
ENGINE_CHILD_FLAG = "--visiondesk-engine-child"
PDF_CHILD_FLAG = "--visiondesk-pdf-child"  # the same as engine.pdf_process's, which starts it


def build_parser(context: CommandContext | None = None) -> argparse.ArgumentParser:
    """The full argument parser; the commands get their backend and model manager from ``context``."""
    from . import batch_command, chat_commands, doctor_command, models_commands, serve_command, servers_command
    from .backend_choice import BackendChoice
    from .backends import CommandContext

    context = context or CommandContext()
    parser = argparse.ArgumentParser(prog="visiondesk", description="Chat with your images, offline.")
    parser.add_argument("--version", action="version", version=f"visiondesk {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _app_arguments(sub.add_parser("app", help="start the desktop app (the default)"))
    choice = BackendChoice(context.backend, context.servers, context.remote, context.disk_cache)
    chat_commands.register(sub, choice)
    doctor_command.register(sub, context.engine)
    models_commands.register(sub, context.models)
    batch_command.register(sub, choice)
    serve_command.register(sub, context.backend, context.disk_cache)
    servers_command.register(sub, context.servers)
    return parser


def _app_arguments(app: argparse.ArgumentParser) -> argparse.ArgumentParser:
    app.add_argument("images", nargs="*", type=Path,
                     help="images to attach to the first message (the file manager's Open With)")
    app.set_defaults(func=_run_app)
    return app


def _run_app(args: argparse.Namespace) -> int:
    run_app: Callable[[list[str], list[Path]], int] = importlib.import_module(DESKTOP_APP).run_app
    return run_app(list(getattr(args, "qt_args", []) or []), list(getattr(args, "images", []) or []))


def main(argv: Sequence[str] | None = None, context: CommandContext | None = None) -> int:
    """Entry point of the console script and of ``python -m visiondesk``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == [ENGINE_CHILD_FLAG]:  # a frozen (packaged) app starting its engine process
        from visiondesk.engine.llama.worker.child import main as engine_child

        child_code: int = engine_child(argv[1:])
        return child_code
    if argv[:1] == [PDF_CHILD_FLAG]:  # a frozen app starting its PDF process
        from visiondesk.engine.pdf_child import main as pdf_child

        pdf_code: int = pdf_child(argv[1:])
        return pdf_code
    if argv == ["--version"]:  # answered before the commands are imported (a packaged app's first check)
        print(f"visiondesk {__version__}")
        return 0
    if not argv or argv[0] == "app":  # the window needs none of the commands either
        app = _app_arguments(argparse.ArgumentParser(prog="visiondesk app"))
        return _run_app(app.parse_args(argv[1:]))
    parser = build_parser(context)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        args.func = _run_app
    code: int = args.func(args)
    return code
