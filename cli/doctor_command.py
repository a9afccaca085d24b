"""``visiondesk doctor``: what llama.cpp and this machine can do, and where a model's layers would go.

Exit codes: 0 success, 2 bad input (a message, no traceback), 1 any other failure.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from visiondesk.engine import InputError, ModelSpec, VisionDeskError, defaults
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.llama.backend_choice import BackendChoice
from visiondesk.engine.number_rules import CONTEXT_TOKENS
from visiondesk.engine.requests import physical_cores

from .number_options import add_gpu_placement, number_option


def register(sub: Any, make_engine: Callable[[], LocalEngine]) -> None:
    """Add ``doctor`` to the top-level parser; it asks an engine from ``make_engine``."""
    doctor = sub.add_parser("doctor", help="what llama.cpp and this machine can do")
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.add_argument("--model", type=Path, help="also load this model and report where its layers went")
    doctor.add_argument("--mmproj", type=Path, help="the model's projector, with --model")
    doctor.add_argument("--ctx", type=number_option(CONTEXT_TOKENS), default=defaults.CONTEXT_TOKENS,
                        help="context size for the --model check")
    add_gpu_placement(doctor)
    doctor.set_defaults(func=lambda args: run_doctor(args, make_engine))


def run_doctor(args: argparse.Namespace, make_engine: Callable[[], LocalEngine]) -> int:
    """Print the llama.cpp build, cores, RAM, GPUs, and the CPU variant and GPU backend llama.cpp chose."""
    try:
        with make_engine() as engine:
            info = engine.system_info()
            if args.model:
                r = engine.load(ModelSpec(model=args.model, mmproj=args.mmproj, n_ctx=args.ctx,
                                          gpu_split=args.gpu_split, main_gpu=args.main_gpu))
                info["model_check"] = {"model": str(r.model), "backend": r.backend, "gpu_layers": r.gpu_layers,
                                       "n_layers": r.n_layers, "n_ctx": r.n_ctx, "n_ctx_asked": args.ctx,
                                       "vision": r.vision,
                                       "why": r.fallback_reason, "load_ms": round(r.load_ms, 1),
                                       "threads": r.threads, "threads_batch": r.threads_batch,
                                       "threads_note": r.threads_note,
                                       "gpus": [{"name": n, "layers": k} for n, k in zip(r.gpu_names,
                                                                                       r.layers_per_gpu, strict=True)],
                                       "projector_device": r.projector_device}
    except VisionDeskError as exc:
        sys.stderr.write(f"visiondesk: {exc}\n")
        return 2 if isinstance(exc, InputError) else 1
    info["physical_cores"] = physical_cores()
    info["logical_cpus"] = os.cpu_count()
    info["ram_bytes"] = _ram_bytes()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    offload = "yes" if info["gpu_offload"] else "no (CPU-only build)"
    print(f"llama-cpp-python {info['llama_cpp_python']}; GPU offload: {offload}; backend: {info['backend']}")
    print(f"CPU: {info['physical_cores']} physical cores, {info['logical_cpus']} logical CPUs")
    print(f"RAM: {info['ram_bytes'] / 2**30:.1f} GiB")
    gpus = [d for d in info["devices"] if d["kind"] != "CPU"]
    for d in gpus:
        print(f"GPU {d['name']}: {d['description']}, {d['free_bytes'] / 2**30:.1f} GiB free of "
              f"{d['total_bytes'] / 2**30:.1f} GiB")
    backends = BackendChoice.from_dict(info["backends"])
    print(backends.cpu_line())
    if not gpus:
        print(backends.gpu_line())
    print(f"llama.cpp: {info['system_info']}")
    print("denormal floats: " + ("flushed to zero (faster CPU decode)" if info.get("denormals_flushed")
                                 else "IEEE (not flushed)"))
    check = info.get("model_check")
    if check:
        print(f"{Path(check['model']).name}: {check['backend']}, {check['gpu_layers']} of {check['n_layers'] + 1} "
              f"layers offloaded ({check['why']}); context {_context(check)}; vision: {check['vision']}")
        if check["gpus"]:
            print(_gpu_plan(check))
        print(f"threads: {check['threads']} for generation, {check['threads_batch']} for prompts "
              f"({check['threads_note']})")
    return 0


def _gpu_plan(check: dict[str, Any]) -> str:
    """The layers on each GPU, and where the projector went."""
    layers = ", ".join(f"{g['name']} {g['layers']}" for g in check["gpus"])
    projector = f"; projector on {check['projector_device']}" if check["projector_device"] else ""
    return f"layers per GPU: {layers}{projector}"


def _context(check: dict[str, Any]) -> str:
    """The context llama.cpp made, and the size asked for where it differs (it rounds up to a multiple of 256)."""
    used, asked = check["n_ctx"], check["n_ctx_asked"]
    return f"{used}" if used == asked else f"{used} tokens ({asked} asked; llama.cpp rounds up to a multiple of 256)"


def _ram_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0
