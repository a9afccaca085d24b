"""``visiondesk batch``: one question (a preset, or a prompt with an optional JSON schema) over many images.

    visiondesk batch --model M --mmproj P --preset receipt ~/receipts --out receipts.csv

Progress goes to stderr (images done, rate, time left), the summary at the end. Re-running the same
command continues an interrupted run: images already in the result file are skipped. Exit codes:
0 the batch ran to its end (error rows are counted in the summary), 2 bad input, 1 any other
failure, 130 stopped by Ctrl-C (every finished row is kept).
"""

from __future__ import annotations

import argparse
import io
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from visiondesk.batch.inputs import collect_images
from visiondesk.batch.presets import LANGUAGES, Preset, all_presets, find_preset, read_preset, user_presets_dir
from visiondesk.batch.result_file import ResultFile
from visiondesk.batch.runner import BatchSummary, run_batch
from visiondesk.batch.tables import write_table_csv
from visiondesk.batch.task import BatchTask
from visiondesk.engine import (
    Backend,
    CancelToken,
    InputError,
    ModelSpec,
    ResponseFormat,
    SamplingParams,
    VisionDeskError,
    defaults,
)
from visiondesk.engine.structured import schema_file_format

from . import backend_choice
from .backend_choice import BackendChoice
from .backends import IMAGE_SERVICE
from .number_options import add_gpu_placement, parallel_option

BackendsFactory = Callable[[argparse.Namespace], list[Backend[Any]]]
REMOTE_IN_FLIGHT = defaults.REMOTE_IN_FLIGHT  # --server with --parallel auto: requests in flight at once


def register(sub: Any, choice: BackendChoice) -> None:
    """Add ``batch`` to the top-level parser."""
    p = sub.add_parser("batch", help="ask the same question about many images; results to JSON Lines or CSV")
    p.add_argument("inputs", nargs="*", type=Path, metavar="INPUT",
                   help="image files, folders (searched recursively for images) or .txt files listing paths")
    p.add_argument("--out", type=Path, help="the result file: .jsonl or .csv (appended; re-runs continue it)")
    p.add_argument("--model", type=Path, help="the model GGUF file (with --server: the server's model name)")
    p.add_argument("--mmproj", type=Path, help="the vision projector GGUF file (mmproj)")
    task = p.add_mutually_exclusive_group()
    task.add_argument("--preset", help="a task preset by name (see --list-presets)")
    task.add_argument("--preset-file", type=Path, help="a preset file of your own (JSON, as the built-in ones)")
    task.add_argument("--prompt", help="the question to ask about every image")
    p.add_argument("--json-schema", type=Path, help="with --prompt: the answer must validate against this schema")
    p.add_argument("--json", action="store_true", help="with --prompt: the answer must be a JSON object")
    p.add_argument("--language", choices=LANGUAGES, default="en", help="the preset prompt's language")
    p.add_argument("--list-presets", action="store_true", help="list the presets and where they are, then exit")
    p.add_argument("--system", default="", help="a system prompt")
    p.add_argument("--max-tokens", type=int, default=1024)
    p.add_argument("--temperature", type=float, default=0.0, help="0 (the default) answers deterministically")
    p.add_argument("--seed", type=int, default=0xFFFFFFFF)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--ctx", type=int, default=4096, help="context size in tokens")
    p.add_argument("--gpu-layers", default="auto", help="auto (default) or a number")
    add_gpu_placement(p)
    p.add_argument("--parallel", type=parallel_option, default=0, metavar="N|auto",
                   help="answer N images at once: parallel sequences of one loaded model, each with --ctx tokens of "
                        "its own (auto, the default: as many as free memory allows, up to 8); with --server, N "
                        f"requests in flight (auto: {REMOTE_IN_FLIGHT})")
    p.add_argument("--retry-failed", action="store_true", help="answer again the images whose last row is an error")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    backend_choice.add_options(p)
    p.set_defaults(func=lambda args: run_command(args, lambda a: open_backends(a, choice)), chat_template=None)


def open_backends(args: argparse.Namespace, choice: BackendChoice) -> list[Backend[Any]]:
    """The local engine loaded with ``--parallel`` slots, or ``--parallel`` connections to ``--server``.

    Not with the engine's disk cache (``ask``/``chat``/``serve`` use it): thousands of images seen once each would
    evict from it the encodings and conversation states the app and the other commands come back to.
    """
    backends: list[Backend[Any]] = []
    try:
        backend, target = choice.open(args, lambda: _local_spec(args), sys.stderr)
        backends.append(backend)
        backend.load(target)
        if isinstance(target, ModelSpec):
            return backends
        for _ in range((args.parallel or REMOTE_IN_FLIGHT) - 1):  # one connection per request in flight
            backend, target = choice.open(args, lambda: _local_spec(args), io.StringIO())  # said once already
            backends.append(backend)
            backend.load(target)
    except (VisionDeskError, ValueError):
        for b in backends:
            b.close()
        raise
    return backends


def _local_spec(args: argparse.Namespace) -> ModelSpec:
    gpu: int | str = args.gpu_layers if args.gpu_layers == "auto" else int(args.gpu_layers)
    return ModelSpec(model=args.model, mmproj=args.mmproj, n_ctx=args.ctx, threads=args.threads, gpu_layers=gpu,
                     gpu_split=args.gpu_split, main_gpu=args.main_gpu, parallel=args.parallel,  # type: ignore[arg-type]
                     tuning=IMAGE_SERVICE)


def build_task(args: argparse.Namespace) -> tuple[BatchTask, Preset | None]:
    """The task the options describe; raises ``InputError`` (``UnsupportedSchema`` too) before any model loads."""
    preset: Preset | None = None
    if args.preset or args.preset_file:
        if args.json_schema or args.json:
            raise InputError("--json-schema and --json go with --prompt; a preset brings its own schema.")
        preset = read_preset(args.preset_file) if args.preset_file else find_preset(args.preset)
        prompt, fmt = preset.prompt(args.language), preset.response_format()
    elif args.prompt:
        prompt = args.prompt
        fmt = ResponseFormat.json_object() if args.json else None
        if args.json_schema:
            fmt = schema_file_format(args.json_schema)
    else:
        raise InputError("Say what to ask: --preset NAME, --preset-file FILE or --prompt TEXT.")
    sampling = SamplingParams(temperature=args.temperature, seed=args.seed, max_tokens=args.max_tokens,
                              response_format=fmt)
    model_name = args.model.name if args.model else ""
    return BatchTask(prompt, sampling, args.system, model_name, args.retry_failed), preset


def run_command(args: argparse.Namespace, make_backends: BackendsFactory) -> int:
    """Run ``visiondesk batch``."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)  # paths in messages stay whole
    if args.list_presets:
        for name, listed in sorted(all_presets().items()):
            title = listed.titles.get(args.language) or listed.titles.get("en", "")
            err.print(f"{name:12} {title}  ({listed.source})", markup=False)
        err.print(f"Your own presets: {user_presets_dir()} (copy a built-in one there and edit it)",
                  markup=False)
        return 0
    cancel = CancelToken()
    try:
        if args.out is None or args.model is None or not args.inputs:
            raise InputError("visiondesk batch needs --model, --out and at least one INPUT (see --help).")
        if args.out.suffix.lower() not in (".jsonl", ".csv"):
            raise InputError(f"--out {args.out}: the result file must end in .jsonl or .csv.")
        task, preset = build_task(args)
        images = collect_images(args.inputs)
        with ResultFile(args.out, task.task_id, task.answer_columns()) as results:
            err.print(f"{len(images)} images; {len(results.answered)} already in {args.out}")
            backends: list[Backend[Any]] = []
            previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
            try:
                backends = make_backends(args)
                slots = max(len(backends), getattr(backends[0], "parallel_slots", 1))
                err.print(f"{slots} image{'s' if slots > 1 else ''} at once")
                summary = _run(backends, task, images, results, preset, cancel, err, args.no_progress)
            finally:
                signal.signal(signal.SIGINT, previous)
                for backend in backends:
                    backend.close()
    except VisionDeskError as exc:
        err.print(f"visiondesk batch: {exc}", markup=False)
        return 2 if isinstance(exc, InputError) else 1
    except OSError as exc:
        err.print(f"visiondesk batch: {exc}", markup=False)
        return 1
    stopped = " (stopped: run the same command again to go on)" if summary.cancelled else ""
    err.print(f"done {summary.done}, failed {summary.failed}, already there {summary.skipped}, duplicates "
              f"{summary.duplicates}; {summary.seconds:.1f} s -> {args.out}{stopped}", markup=False)
    return 130 if summary.cancelled else 0


def _run(backends: list[Backend[Any]], task: BatchTask, images: list[Path], results: ResultFile, preset: Preset | None,
         cancel: CancelToken, err: Console, quiet: bool) -> BatchSummary:
    summary = BatchSummary()
    t0 = time.monotonic()
    tables = results.path.with_name(results.path.stem + ".tables")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, disable=quiet, transient=False) as progress:
        bar = progress.add_task("images", total=len(images), rate="")
        for outcome in run_batch(backends, task, images, results, cancel):
            summary.add(outcome)
            if outcome.row and outcome.status == "ok" and preset and preset.export == "table":
                write_table_csv(outcome.row.answer, tables / f"{outcome.path.stem}-{outcome.row.sha256[:8]}.csv")
            answered = summary.done + summary.failed
            minutes = (time.monotonic() - t0) / 60
            progress.update(bar, advance=1, rate=f"{answered / minutes:.1f} img/min" if answered and minutes else "")
    summary.seconds = time.monotonic() - t0
    summary.cancelled = cancel.cancelled
    return summary
