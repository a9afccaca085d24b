"""``visiondesk models …``: list, search, pull, import, verify and remove models from the command line.

Output goes to stdout, progress and messages to stderr. Exit codes: 0 ok, 2 bad input, 1 other failure.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from visiondesk.engine import defaults
from visiondesk.engine.errors import InputError, VisionDeskError
from visiondesk.engine.number_rules import CONTEXT_TOKENS, NumberRule
from visiondesk.models.events import Failed, JobEvent, Progress, StateChanged
from visiondesk.models.manager import ModelManager

from .number_options import number_option

ManagerFactory = Callable[[], ModelManager]
SEARCH_RESULTS = NumberRule("the number of results", "a whole number from 1 to 1,000", 1, 1000)


def register(subparsers: argparse._SubParsersAction, make_manager: ManagerFactory) -> None:  # type: ignore[type-arg]
    """Add the ``models`` command and its subcommands, which work through a manager from ``make_manager``."""
    p = subparsers.add_parser("models", help="find, download, verify and manage vision models")
    sub = p.add_subparsers(dest="models_command", metavar="ACTION")
    p.set_defaults(func=lambda args: (p.print_help(sys.stderr), 2)[1])

    sub.add_parser("list", help="installed models and disk use").set_defaults(func=_guard(cmd_list, make_manager))
    cat = sub.add_parser("catalog", help="the curated vision models and whether they fit this machine")
    cat.add_argument("--context", type=number_option(CONTEXT_TOKENS), default=defaults.CONTEXT_TOKENS,
                     help="context size for the estimate")
    cat.set_defaults(func=_guard(cmd_catalog, make_manager))
    s = sub.add_parser("search", help="search Hugging Face for GGUF repositories with an mmproj file")
    s.add_argument("query")
    s.add_argument("--limit", type=number_option(SEARCH_RESULTS), default=20)
    s.set_defaults(func=_guard(cmd_search, make_manager))
    pull = sub.add_parser("pull", help="download a model with its projector, verify and install it")
    pull.add_argument("repo", help="a Hugging Face repository (owner/name) or a catalog id")
    pull.add_argument("--quant", help="quantization, e.g. Q4_K_M (default: the catalog's or Q4_K_M)")
    pull.add_argument("--revision", help="branch, tag or commit (default: main)")
    pull.add_argument("--context", type=number_option(CONTEXT_TOKENS), default=defaults.CONTEXT_TOKENS,
                      help="context size for the fit estimate")
    pull.set_defaults(func=_guard(cmd_pull, make_manager))
    imp = sub.add_parser("import", help="register a local GGUF model (and its mmproj)")
    imp.add_argument("model", type=Path)
    imp.add_argument("--mmproj", type=Path, help="projector file (default: a fitting one in the same folder)")
    imp.add_argument("--copy", action="store_true", help="copy into the data folder instead of referencing")
    imp.add_argument("--name")
    imp.set_defaults(func=_guard(cmd_import, make_manager))
    ver = sub.add_parser("verify", help="check installed files against their SHA-256 again")
    ver.add_argument("name", nargs="?")
    ver.set_defaults(func=_guard(cmd_verify, make_manager))
    rm = sub.add_parser("remove", help="uninstall a model and free its disk space")
    rm.add_argument("name")
    rm.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    rm.set_defaults(func=_guard(cmd_remove, make_manager))


def _guard(fn: Callable[[argparse.Namespace, ModelManager], int],
           make_manager: ManagerFactory) -> Callable[[argparse.Namespace], int]:
    """Give the command a manager; turn errors into a message and an exit code (2 for bad input, 1 otherwise)."""
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args, make_manager())
        except InputError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except VisionDeskError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print("\ninterrupted; partial downloads are kept, run the same pull again to resume",
                  file=sys.stderr)
            return 1
    return run


def cmd_list(args: argparse.Namespace, manager: ModelManager) -> int:
    """Print installed models."""
    models = manager.installed()
    if not models:
        print("No models installed. Try: visiondesk models catalog", file=sys.stderr)
        return 0
    for m in models:
        vision = "vision" if m.has_vision else "text only"
        where = "" if m.owned else " (referenced in place)"
        print(f"{m.name}\t{m.quant}\t{_size(m.size)}\t{vision}\tverified {m.verified_at}\t{m.source}{where}")
    print(f"Total disk use: {_size(manager.disk_use())}", file=sys.stderr)
    return 0


def cmd_catalog(args: argparse.Namespace, manager: ModelManager) -> int:
    """Print the curated models with a fit verdict for this machine."""
    memory = manager.machine_memory()
    for e in manager.catalog_entries():
        fit = manager.fit_for_entry(e, n_ctx=args.context, memory=memory)
        size = e.approx_bytes()
        print(f"{e.id}\t{e.repo}\t{e.default_quant}\t{'~' + _size(size) if size is not None else 'size unknown'}\t"
              f"{fit.fit.value}\t{', '.join(e.good_at)}\t{e.license}")
    for e in manager.catalog.remote_entries:
        print(f"{e.id}\tremote server\t{e.remote}")
    return 0


def cmd_search(args: argparse.Namespace, manager: ModelManager) -> int:
    """Search the Hub for vision GGUF repositories."""
    hits = manager.search(args.query, limit=args.limit)
    if not hits:
        print(f"No GGUF repository with an mmproj file matches '{args.query}'.", file=sys.stderr)
    for h in hits:
        print(f"{h.repo_id}\t{h.downloads} downloads\t{len(h.model_files)} model files\t"
              f"{', '.join(h.mmproj_files)}")
    return 0


def cmd_pull(args: argparse.Namespace, manager: ModelManager) -> int:
    """Download, verify and register a model with its projector."""
    plan = manager.plan(args.repo, args.quant, revision=args.revision)
    fit = manager.fit_for_plan(plan, n_ctx=args.context)
    print(f"{plan.repo_id}: {plan.model.name} + {plan.mmproj.name} ({_size(plan.total_bytes)}). "
          f"On this machine: {fit.fit.value}. {fit.explanation}", file=sys.stderr)
    job = manager.download(plan)
    job.add_listener(_ProgressPrinter())
    installed = job.run()
    print(installed.name)
    proj = installed.mmproj.path.name if installed.mmproj else "-"
    print(f"Installed {installed.name}: {installed.model.path.name} + {proj} ({_size(installed.size)}), "
          "both verified.", file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace, manager: ModelManager) -> int:
    """Register a local model file (with its projector)."""
    m = manager.import_local(args.model, args.mmproj, copy=args.copy, name=args.name)
    print(m.name)
    proj = m.mmproj.path.name if m.mmproj else "no projector: text only"
    print(f"Imported {m.name} ({m.quant}, {proj}).", file=sys.stderr)
    return 0


def cmd_verify(args: argparse.Namespace, manager: ModelManager) -> int:
    """Verify one or all installed models again."""
    names = [args.name] if args.name else [m.name for m in manager.installed()]
    bad = 0
    for name in names:
        report = manager.verify(name)
        print(f"{name}\t{'ok' if report.ok else 'DAMAGED: ' + '; '.join(report.problems)}")
        bad += not report.ok
    if bad:
        print(f"{bad} model(s) failed verification; remove and pull them again.", file=sys.stderr)
    return 1 if bad else 0


def cmd_remove(args: argparse.Namespace, manager: ModelManager) -> int:
    """Remove a model (asks unless --yes)."""
    m = manager.registry.get(args.name)
    if not args.yes:
        if not sys.stdin.isatty():
            raise InputError("Refusing to remove without confirmation; pass --yes.")
        what = f"delete {_size(m.size)}" if m.owned else "forget it (your files stay where they are)"
        if input(f"Remove {m.name} and {what}? [y/N] ").strip().lower() not in ("y", "yes"):
            print("Nothing removed.", file=sys.stderr)
            return 0
    freed = manager.remove(args.name)
    print(f"Removed {args.name}; freed {_size(freed)}.", file=sys.stderr)
    return 0


class _ProgressPrinter:
    """Writes one updating progress line to stderr."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, event: JobEvent) -> None:
        if isinstance(event, Progress):
            now = time.monotonic()
            if now - self.last < 0.5 and event.done < event.total:
                return
            self.last = now
            eta = f"{event.eta_s:.0f}s left" if event.eta_s is not None else "…"
            print(f"\r{event.file_name}: {event.fraction:6.1%} of {_size(event.total)}, "
                  f"{_size(int(event.speed_bps))}/s, {eta}   ", end="", file=sys.stderr, flush=True)
        elif isinstance(event, StateChanged) and event.message:
            print(f"\n{event.state.value}: {event.message}", file=sys.stderr)
        elif isinstance(event, Failed) and event.partial_kept:
            print("\nPartial files are kept; run the same pull again to resume.", file=sys.stderr)


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"
