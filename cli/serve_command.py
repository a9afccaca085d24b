"""``visiondesk serve``: the local model behind an OpenAI-compatible API on this computer.

Loads the model, then serves it with uvicorn until Ctrl-C. Exit codes as the other commands: 0 after
a clean stop, 2 for bad input (a setting, a model file; a message, no traceback), 1 for other failures.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from visiondesk.api.config import DEFAULT_HOST, DEFAULT_PORT, Limits, ServerConfig
from visiondesk.engine import InputError, ModelSpec, VisionDeskError
from visiondesk.engine.llama.disk_cache import DiskCache

from .backends import IMAGE_SERVICE, BackendFactory
from .number_options import add_gpu_placement


def register(sub: Any, make_backend: BackendFactory, disk_cache: Callable[[], DiskCache | None]) -> None:
    """Add ``serve`` to the top-level parser; it serves a backend from ``make_backend``, keeping ``disk_cache``."""
    p = sub.add_parser("serve", help="serve a model through an OpenAI-compatible API on this computer",
                       description="Serve a model through an OpenAI-compatible API (POST /v1/chat/completions, "
                                   "GET /v1/models, GET /health). Listens on 127.0.0.1 unless told otherwise; "
                                   "any other address needs an API key.")
    p.add_argument("--model", required=True, type=Path, help="the model GGUF file")
    p.add_argument("--mmproj", type=Path, help="the vision projector GGUF file (mmproj), to accept images")
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--api-key-env", metavar="VAR",
                   help="the environment variable holding the API key clients must send (required off loopback)")
    p.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                   help="a web page origin allowed to call the API, e.g. http://localhost:3000 (repeatable)")
    p.add_argument("--allow-file-dir", type=Path, metavar="DIR",
                   help="accept image file paths, but only of files inside DIR")
    p.add_argument("--ctx", type=int, default=ModelSpec.n_ctx, help="context size in tokens")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: measured at load)")
    p.add_argument("--gpu-layers", type=_gpu_layers, default="auto", help="auto (default) or a number")
    add_gpu_placement(p)
    p.add_argument("--chat-template", type=Path, help="a Jinja chat template file for models without one")
    p.add_argument("--no-cache", action="store_true",
                   help="neither read nor keep image encodings in the engine's disk cache (shared with the app and "
                        "'visiondesk ask', in the data directory)")
    limits = Limits()
    p.add_argument("--max-queue", type=int, default=limits.max_queue,
                   help=f"requests that may wait for the model before new ones get 429 (default {limits.max_queue})")
    p.add_argument("--max-images", type=int, default=limits.max_images,
                   help=f"images per request (default {limits.max_images})")
    p.add_argument("--max-body-mb", type=float, default=limits.max_body_bytes / 2**20,
                   help=f"largest request body in MiB (default {limits.max_body_bytes // 2**20})")
    p.set_defaults(func=lambda args: run_serve(args, make_backend, disk_cache))


def _gpu_layers(value: str) -> int | str:
    if value == "auto":
        return value
    if not value.isdigit():
        raise argparse.ArgumentTypeError("use 'auto' or a number of layers")
    return int(value)


def _config(args: argparse.Namespace) -> ServerConfig:
    key = None
    if args.api_key_env:
        key = os.environ.get(args.api_key_env, "")
        if not key:
            raise ValueError(f"--api-key-env {args.api_key_env}: that environment variable is not set or empty.")
    limits = Limits(max_queue=args.max_queue, max_images=args.max_images,
                    max_body_bytes=int(args.max_body_mb * 2**20))
    config = ServerConfig(host=args.host, port=args.port, api_key=key, cors_origins=tuple(args.cors_origin),
                          allow_file_dir=args.allow_file_dir, limits=limits)
    config.check()
    return config


def run_serve(args: argparse.Namespace, make_backend: BackendFactory,
              disk_cache: Callable[[], DiskCache | None] = lambda: None) -> int:
    """Load the model, then serve until interrupted (keeping image encodings in ``disk_cache`` unless --no-cache)."""
    import uvicorn  # the ASGI stack loads only for this command: the other commands start faster without it
    from visiondesk.api.app import create_app

    try:
        config = _config(args)
        template = args.chat_template.read_text(encoding="utf-8") if args.chat_template else None
    except (ValueError, OSError) as exc:
        sys.stderr.write(f"visiondesk: {exc}\n")
        return 2
    spec = ModelSpec(model=args.model, mmproj=args.mmproj, n_ctx=args.ctx, threads=args.threads,
                     gpu_layers=args.gpu_layers, gpu_split=args.gpu_split, main_gpu=args.main_gpu,
                     chat_template=template, tuning=IMAGE_SERVICE)
    try:
        with contextlib.closing(make_backend(None if args.no_cache else disk_cache())) as engine:
            sys.stderr.write("[loading the model]\n")
            loaded = engine.load(spec)
            projector = ", projector opened at load" if spec.mmproj and not loaded.projector_deferred else ""
            sys.stderr.write(f"[loaded {loaded.model_name}: {loaded.runs_on}, vision: {loaded.vision}{projector}, "
                             f"context {loaded.n_ctx}]\n[serving at {config.base_url} — Ctrl-C stops]\n")
            sys.stderr.flush()
            server = uvicorn.Server(uvicorn.Config(create_app(engine, config), host=config.host, port=config.port,
                                                   log_level="info", timeout_graceful_shutdown=5))
            with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises Ctrl-C after its clean shutdown
                server.run()
            if not server.started:
                sys.stderr.write(f"visiondesk: could not listen on {config.host}:{config.port} (see above).\n")
                return 1
    except VisionDeskError as exc:
        sys.stderr.write(f"visiondesk: {exc}\n")
        return 2 if isinstance(exc, InputError) else 1
    return 0
