"""The installed app's entry point: the ``visiondesk`` command, and a failure to start said in words.

A packaged app is often started from a menu, with no terminal: an exception there (a system library the
bundle needs is missing, the data folder cannot be written) would vanish. Here it goes to the terminal and,
when the window was asked for, to a dialog drawn without Qt (``desktop.startup_checks.error_dialog``).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence


def opens_window(argv: Sequence[str]) -> bool:
    """Whether ``argv`` asks for the desktop app (no command, or ``app``) rather than a command."""
    return not argv or argv[0] == "app"


def run(argv: Sequence[str] | None = None) -> int:
    """Run ``visiondesk`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        from visiondesk.cli import main

        return main(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the last place anything can be said before the process ends
        message = f"VisionDesk stopped on an unexpected error: {type(exc).__name__}: {exc}"
        traceback.print_exc(file=sys.stderr)
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
        if opens_window(args):
            _dialog(message)
        return 1


def _dialog(message: str) -> None:
    try:
        from visiondesk.desktop.startup_checks import error_dialog
    except Exception:  # noqa: BLE001 - the terminal already has the message
        return
    error_dialog(message)
