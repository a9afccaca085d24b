"""``visiondesk ask`` and ``visiondesk chat``: a question or a conversation on the terminal.

Answers stream to stdout, stages to stderr; ``--stats`` adds one JSON line to stderr per answer.
Exit codes: 0 success, 2 bad input (a message, no traceback), 130 cancelled (``ask``), 1 any other failure.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from contextlib import closing
from pathlib import Path
from typing import Any, TextIO

from visiondesk.engine import Backend, BackendInfo, CancelToken, ContextOverflow, InputError, VisionDeskError, defaults
from visiondesk.engine.events import Finished, Stage, StageChanged, StopReason, TextDelta
from visiondesk.engine.llama import LoadResult
from visiondesk.engine.requests import Message, ModelSpec, SamplingParams, physical_cores

from .answer_format import add_format_options, check_answer, response_format
from .backends import BackendFactory

_STAGE_TEXT = {Stage.LOADING: "loading the model", Stage.ENCODING_IMAGE: "encoding image",
               Stage.READING_PROMPT: "reading the prompt", Stage.GENERATING: "writing"}


def _gpu_layers(value: str) -> int | str:
    if value == "auto":
        return "auto"
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("use 'auto' or a number of layers") from None
    if n < 0:
        raise argparse.ArgumentTypeError("the number of layers cannot be negative")
    return n


def _model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, type=Path, help="the model GGUF file")
    p.add_argument("--mmproj", type=Path, help="the vision projector GGUF file (mmproj)")
    p.add_argument("--image", action="append", default=[], type=Path, help="an image (repeatable)")
    p.add_argument("--max-tokens", type=int, default=defaults.MAX_TOKENS)
    p.add_argument("--temperature", type=float, default=defaults.TEMPERATURE)
    p.add_argument("--top-p", type=float, default=defaults.TOP_P)
    p.add_argument("--seed", type=int, default=defaults.RANDOM_SEED)
    p.add_argument("--threads", type=int, default=None,
                   help=f"default: measured at load, starting from physical cores ({physical_cores()})")
    p.add_argument("--ctx", type=int, default=defaults.CONTEXT_TOKENS, help="context size in tokens")
    p.add_argument("--gpu-layers", type=_gpu_layers, default=defaults.GPU_LAYERS, help="auto (default) or a number")
    p.add_argument("--system", default="", help="a system prompt")
    p.add_argument("--chat-template", type=Path, help="a Jinja chat template file for models without one")
    p.add_argument("--stats", action="store_true", help="print a JSON line of figures to stderr")


def register(sub: Any, make_backend: BackendFactory) -> None:
    """Add ``ask`` and ``chat`` to the top-level parser; they answer with a backend from ``make_backend``."""
    ask = sub.add_parser("ask", help="ask one question (about images) and stream the answer")
    _model_options(ask)
    add_format_options(ask)
    ask.add_argument("question")
    ask.set_defaults(func=lambda args: run_ask(args, make_backend))
    chat = sub.add_parser("chat", help="a conversation on the terminal (/image PATH, /reset)")
    _model_options(chat)
    chat.set_defaults(func=lambda args: run_chat(args, make_backend))


def _spec(args: argparse.Namespace) -> ModelSpec:
    template = args.chat_template.read_text(encoding="utf-8") if args.chat_template else None
    return ModelSpec(model=args.model, mmproj=args.mmproj, n_ctx=args.ctx, threads=args.threads,
                     gpu_layers=args.gpu_layers, chat_template=template)


def _sampling(args: argparse.Namespace) -> SamplingParams:
    return SamplingParams(temperature=args.temperature, top_p=args.top_p, seed=args.seed,
                          max_tokens=args.max_tokens, response_format=response_format(args))


def _stats(fin: Finished, info: BackendInfo | None) -> dict[str, Any]:
    u, t = fin.usage, fin.timings
    load = info if isinstance(info, LoadResult) else None
    return {"ttft_ms": round(t.ttft_ms, 2), "prompt_tokens": u.prompt_tokens,
            "prompt_tokens_evaluated": u.prompt_tokens_evaluated, "completion_tokens": u.completion_tokens,
            "prompt_tok_s": round(t.prompt_tok_s, 2), "decode_tok_s": round(t.decode_tok_s, 2),
            "encode_ms": round(t.encode_ms, 2), "images_encoded": u.images_encoded,
            "images_reused": u.images_reused, "stop_reason": fin.stop_reason.value, "backend": fin.backend,
            "gpu_layers": fin.gpu_layers, "fallback_reason": load.fallback_reason if load else "",
            "threads": load.threads if load else 0, "threads_batch": load.threads_batch if load else 0}


def _answer(engine: Backend[ModelSpec], messages: list[Message], args: argparse.Namespace, out: TextIO,
            err: TextIO) -> tuple[Finished, str]:
    cancel = CancelToken()
    parts: list[str] = []
    previous = signal.signal(signal.SIGINT, lambda *_: cancel.cancel())
    fin: Finished | None = None
    try:
        for ev in engine.chat(messages, _sampling(args), cancel):
            if isinstance(ev, TextDelta):
                parts.append(ev.text)
                out.write(ev.text)
                out.flush()
            elif isinstance(ev, StageChanged):
                where = f" {ev.index}/{ev.total}" if ev.index else ""
                err.write(f"[{_STAGE_TEXT[ev.stage]}{where}]\n")
                err.flush()
            elif isinstance(ev, Finished):
                fin = ev
    finally:
        signal.signal(signal.SIGINT, previous)
    assert fin is not None
    out.write("\n")
    out.flush()
    if args.stats:
        err.write(json.dumps(_stats(fin, engine.info)) + "\n")
        err.flush()
    return fin, "".join(parts)


def _fail(exc: BaseException, err: TextIO) -> int:
    err.write(f"visiondesk: {exc}\n")
    return 2 if isinstance(exc, InputError) else 1


def _load(engine: Backend[ModelSpec], args: argparse.Namespace, err: TextIO) -> None:
    err.write("[loading the model]\n")
    result = engine.load(_spec(args))
    if not isinstance(result, LoadResult):
        err.write(f"[loaded: {result.model_name} on {result.runs_on}]\n")
        return
    err.write(f"[loaded: {result.backend}, {result.gpu_layers} GPU layers"
              f"{'; ' + result.fallback_reason if result.fallback_reason else ''}; threads {result.threads}/"
              f"{result.threads_batch}, {result.threads_note}]\n")


def run_ask(args: argparse.Namespace, make_backend: BackendFactory) -> int:
    """One question, streamed."""
    try:
        fmt = response_format(args)  # a schema that cannot be enforced is refused before the model loads
        with closing(make_backend()) as engine:
            _load(engine, args, sys.stderr)
            messages = [Message.system(args.system)] if args.system else []
            messages.append(Message.user(args.question, *args.image))
            fin, text = _answer(engine, messages, args, sys.stdout, sys.stderr)
            if fin.error is not None:
                return _fail(fin.error, sys.stderr)
            if fin.stop_reason is StopReason.CANCELLED:
                return 130
            check_answer(fmt, text)
            return 0
    except VisionDeskError as exc:
        return _fail(exc, sys.stderr)


def run_chat(args: argparse.Namespace, make_backend: BackendFactory) -> int:
    """Each stdin line is a user message; /image PATH attaches, /reset starts over."""
    history: list[Message] = [Message.system(args.system)] if args.system else []
    pending: list[Path] = list(args.image)
    status = 0
    try:
        with closing(make_backend()) as engine:
            _load(engine, args, sys.stderr)
            for raw in sys.stdin:
                line = raw.rstrip("\n")
                if line.startswith("/image "):
                    path = Path(line[7:].strip()).expanduser()
                    if not path.is_file():
                        sys.stderr.write(f"visiondesk: no such image: {path}\n")
                        status = 2
                        continue
                    pending.append(path)
                    sys.stderr.write(f"[attached {path.name}]\n")
                    continue
                if line.strip() == "/reset":
                    history = [Message.system(args.system)] if args.system else []
                    pending = []
                    sys.stderr.write("[conversation reset]\n")
                    continue
                if not line.strip():
                    continue
                turn = Message.user(line, *pending)
                pending = []
                fin, text = _answer(engine, [*history, turn], args, sys.stdout, sys.stderr)
                if isinstance(fin.error, ContextOverflow) and len(history) > 1:
                    sys.stderr.write("[the conversation is too long: dropping the oldest turns]\n")
                    history = _drop_oldest(history)
                    fin, text = _answer(engine, [*history, turn], args, sys.stdout, sys.stderr)
                if fin.error is not None:
                    status = _fail(fin.error, sys.stderr)
                    continue
                history += [turn, Message.assistant(text)]
    except VisionDeskError as exc:
        return _fail(exc, sys.stderr)
    return status


def _drop_oldest(history: list[Message]) -> list[Message]:
    system = [m for m in history[:1] if m.role == "system"]
    rest = history[len(system):]
    return system + rest[len(rest) // 2:] if len(rest) > 2 else system
