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
from visiondesk.engine import number_rules as rules
from visiondesk.engine.errors import EngineCrashed, ImageError
from visiondesk.engine.events import Finished, Stage, StageChanged, StopReason, TextDelta
from visiondesk.engine.images import check_image_file
from visiondesk.engine.llama import LoadResult
from visiondesk.engine.pdf_pages import (
    MAX_PAGES,
    PageRangeInvalid,
    PdfUnreadable,
    is_pdf,
    page_count,
    page_numbers,
    pdf_pages,
)
from visiondesk.engine.remote import RemoteTarget
from visiondesk.engine.requests import ImageSource, Message, ModelSpec, SamplingParams, physical_cores

from . import backend_choice
from .answer_format import add_format_options, check_answer, response_format
from .backend_choice import BackendChoice
from .dry_run import print_plan
from .number_options import add_gpu_placement, gpu_layers_option, number_option

_STAGE_TEXT = {Stage.LOADING: "loading the model", Stage.ENCODING_IMAGE: "encoding image",
               Stage.READING_PROMPT: "reading the prompt", Stage.GENERATING: "writing"}


def _model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", required=True, help="the model GGUF file (with --server: the model's name there)")
    backend_choice.add_options(p)
    p.add_argument("--mmproj", type=Path, help="the vision projector GGUF file (mmproj)")
    p.add_argument("--image", action="append", default=[], type=Path,
                   help="an image, or a PDF (its pages; repeatable)")
    p.add_argument("--pages", metavar="RANGE", default=None,
                   help=f"the pages of each PDF to read, such as 3-5,9 (default: the first {MAX_PAGES})")
    p.add_argument("--max-tokens", type=number_option(rules.MAX_TOKENS), default=defaults.MAX_TOKENS)
    p.add_argument("--temperature", type=number_option(rules.TEMPERATURE), default=defaults.TEMPERATURE)
    p.add_argument("--top-p", type=number_option(rules.TOP_P), default=defaults.TOP_P)
    p.add_argument("--seed", type=number_option(rules.SEED), default=defaults.RANDOM_SEED)
    p.add_argument("--threads", type=number_option(rules.THREADS), default=None,
                   help=f"default: measured at load, starting from physical cores ({physical_cores()})")
    p.add_argument("--ctx", type=number_option(rules.CONTEXT_TOKENS), default=defaults.CONTEXT_TOKENS,
                   help="context size in tokens (llama.cpp rounds it up to a multiple of 256)")
    p.add_argument("--gpu-layers", type=gpu_layers_option, default=defaults.GPU_LAYERS,
                   help="auto (default) or a number")
    add_gpu_placement(p)
    p.add_argument("--system", default="", help="a system prompt")
    p.add_argument("--chat-template", type=Path, help="a Jinja chat template file for models without one")
    p.add_argument("--stats", action="store_true", help="print a JSON line of figures to stderr")
    p.add_argument("--image-max-tokens", type=int, default=defaults.IMAGE_MAX_TOKENS,
                   help="tokens an image may take, where the model reads images at their own size (0: its own)")
    p.add_argument("--no-cache", action="store_true",
                   help="neither read nor keep image encodings in the engine's disk cache (shared with the app, in "
                        "the data directory): by default a later run about the same image does not encode it again")


def register(sub: Any, backends: BackendChoice) -> None:
    """Add ``ask`` and ``chat`` to the top-level parser; they answer with a backend chosen from ``backends``."""
    ask = sub.add_parser("ask", help="ask one question (about images) and stream the answer")
    _model_options(ask)
    add_format_options(ask)
    ask.add_argument("question")
    ask.add_argument("--dry-run", action="store_true", help="print what the model will see (tokens per image, "
                     "context use) and exit without answering")
    ask.set_defaults(func=lambda args: run_ask(args, backends))
    chat = sub.add_parser("chat", help="a conversation on the terminal (/image PATH, /reset)")
    _model_options(chat)
    chat.set_defaults(func=lambda args: run_chat(args, backends))


def _spec(args: argparse.Namespace) -> ModelSpec:
    template = args.chat_template.read_text(encoding="utf-8") if args.chat_template else None
    return ModelSpec(model=Path(args.model), mmproj=args.mmproj, n_ctx=args.ctx, threads=args.threads,
                     gpu_layers=args.gpu_layers, gpu_split=args.gpu_split, main_gpu=args.main_gpu,
                     chat_template=template, image_max_tokens=args.image_max_tokens)


def _sampling(args: argparse.Namespace) -> SamplingParams:
    return SamplingParams(temperature=args.temperature, top_p=args.top_p, seed=args.seed,
                          max_tokens=args.max_tokens, response_format=response_format(args))


def _stats(fin: Finished, info: BackendInfo | None) -> dict[str, Any]:
    u, t = fin.usage, fin.timings
    load = info if isinstance(info, LoadResult) else None
    return {"ttft_ms": round(t.ttft_ms, 2), "prompt_tokens": u.prompt_tokens,
            "prompt_tokens_evaluated": u.prompt_tokens_evaluated, "completion_tokens": u.completion_tokens,
            "prompt_tok_s": round(t.prompt_tok_s, 2), "decode_tok_s": round(t.decode_tok_s, 2),
            "encode_ms": round(t.encode_ms, 2), "projector_load_ms": round(t.projector_load_ms, 2),
            "images_encoded": u.images_encoded,
            "images_reused": u.images_reused, "stop_reason": fin.stop_reason.value, "backend": fin.backend,
            "gpu_layers": fin.gpu_layers, "fallback_reason": load.fallback_reason if load else "",
            "threads": load.threads if load else 0, "threads_batch": load.threads_batch if load else 0}


def _stream(engine: Backend[ModelSpec], messages: list[Message], args: argparse.Namespace, out: TextIO,
            err: TextIO) -> tuple[Finished, str]:
    """Stream one answer to ``out`` (stages to ``err``); Ctrl+C cancels it. The caller ends the answer."""
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
    return fin, "".join(parts)


def _end_answer(fin: Finished, engine: Backend[ModelSpec], args: argparse.Namespace, out: TextIO,
                err: TextIO) -> None:
    """Close the answer's line and write its one ``--stats`` line."""
    out.write("\n")
    out.flush()
    if args.stats:
        err.write(json.dumps(_stats(fin, engine.info)) + "\n")
        err.flush()


def _message(exc: BaseException, args: argparse.Namespace, info: BackendInfo | None) -> str:
    """What to tell the user; a context overflow names the size asked for and the size llama.cpp used."""
    if not isinstance(exc, ContextOverflow):
        return str(exc)
    asked = ""
    if isinstance(info, LoadResult) and exc.n_ctx != args.ctx:  # --ctx is the local engine's; servers set their own
        asked = f" (--ctx asked for {args.ctx}; {_why_resized(args.ctx, exc.n_ctx)})"
    return (f"The conversation is {exc.prompt_tokens} tokens long, but the context holds {exc.n_ctx} tokens{asked}. "
            "Raise --ctx, or shorten the question (or the system prompt).")


def _why_resized(asked: int, used: int) -> str:
    """Why llama.cpp's context differs from ``--ctx`` (llama_context pads n_ctx with GGML_PAD(n_ctx, 256))."""
    return "llama.cpp rounds the context up to a multiple of 256" if used > asked and used % 256 == 0 \
        else "llama.cpp chose another size"


def _documents(paths: list[Path], err: TextIO, pages: str | None = None) -> list[Path | ImageSource]:
    """Images as given; a PDF as its pages (``pages``: a range such as "3-5,9"), drawn as images.

    ``PdfUnreadable`` for a PDF that cannot be read, ``PageRangeInvalid`` for pages it lacks.
    """
    out: list[Path | ImageSource] = []
    for path in paths:
        if not is_pdf(ImageSource(path=path)):
            out.append(path)
            continue
        wanted = None
        if pages is not None:
            wanted = page_numbers(pages, page_count(ImageSource(path=path)))
        drawn = pdf_pages(ImageSource(path=path), MAX_PAGES, wanted)
        cut = f", the first {len(drawn.pages)} of {drawn.asked}" if drawn.cut else ""
        err.write(f"[{path.name}: {len(drawn.pages)} page{'s' if len(drawn.pages) > 1 else ''} as images{cut}]\n")
        out += drawn.pages
    return out


def _fail(exc: BaseException, err: TextIO, args: argparse.Namespace, info: BackendInfo | None = None) -> int:
    err.write(f"visiondesk: {_message(exc, args, info)}\n")
    return 2 if isinstance(exc, InputError) else 1


def _load(engine: Backend[Any], target: ModelSpec | RemoteTarget, args: argparse.Namespace, err: TextIO) -> None:
    err.write("[loading the model]\n")
    result = engine.load(target)
    if not isinstance(result, LoadResult):
        err.write(f"[loaded: {result.model_name} on {result.runs_on}]\n")
    else:
        err.write(f"[loaded: {result.backend}, {result.gpu_layers} GPU layers"
                  f"{'; ' + result.fallback_reason if result.fallback_reason else ''}; threads {result.threads}/"
                  f"{result.threads_batch}, {result.threads_note}]\n")
    if isinstance(target, ModelSpec) and result.n_ctx and result.n_ctx != args.ctx:  # a server sets its own
        err.write(f"[context: {args.ctx} tokens asked, {result.n_ctx} used: {_why_resized(args.ctx, result.n_ctx)}]\n")


def run_ask(args: argparse.Namespace, backends: BackendChoice) -> int:
    """One question, streamed."""
    try:
        fmt = response_format(args)  # a schema that cannot be enforced is refused before the model loads
        backend, target = backends.open(args, lambda: _spec(args), sys.stderr, cached=not args.no_cache)
        with closing(backend) as engine:
            _load(engine, target, args, sys.stderr)
            messages = [Message.system(args.system)] if args.system else []
            messages.append(Message.user(args.question, *_documents(args.image, sys.stderr, args.pages)))
            if args.dry_run:
                return print_plan(engine, messages, sys.stdout)
            fin, text = _stream(engine, messages, args, sys.stdout, sys.stderr)
            _end_answer(fin, engine, args, sys.stdout, sys.stderr)
            if fin.error is not None:
                return _fail(fin.error, sys.stderr, args, engine.info)
            if fin.stop_reason is StopReason.CANCELLED:
                return 130
            check_answer(fmt, text)
            return 0
    except VisionDeskError as exc:
        return _fail(exc, sys.stderr, args)


CUT_MARKER = "[answer cut off]"  # ends an answer the engine's crash interrupted, in the history the model reads


def run_chat(args: argparse.Namespace, backends: BackendChoice) -> int:
    """Each stdin line is a user message; /image PATH attaches, /reset starts over."""
    history: list[Message] = [Message.system(args.system)] if args.system else []
    pending: list[Path | ImageSource] = []
    status = 0
    try:
        backend, target = backends.open(args, lambda: _spec(args), sys.stderr, cached=not args.no_cache)
        with closing(backend) as engine:
            _load(engine, target, args, sys.stderr)
            pending = _documents(args.image, sys.stderr, args.pages)
            for raw in sys.stdin:
                line = raw.rstrip("\n")
                if line.startswith("/image "):
                    path = Path(line[7:].strip()).expanduser()
                    try:
                        check_image_file(path)  # stat only: a folder, a pipe or /dev/zero is named, never read
                        pending += _documents([path], sys.stderr, args.pages)
                    except (ImageError, PdfUnreadable, PageRangeInvalid) as exc:
                        status = _fail(exc, sys.stderr, args)
                        continue
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
                fin, text, kept = _reply(engine, history, turn, args)
                if isinstance(fin.error, EngineCrashed):
                    # The question was asked and part of the answer shown: both stay, the answer marked cut,
                    # so the next message continues this conversation (as the crash message promises).
                    history = [*kept, turn, Message.assistant(f"{text} {CUT_MARKER}".lstrip())]
                elif fin.error is None:
                    history = [*kept, turn, Message.assistant(text)]
                if fin.error is not None:
                    status = _fail(fin.error, sys.stderr, args, engine.info)
    except VisionDeskError as exc:
        return _fail(exc, sys.stderr, args)
    return status


def _reply(engine: Backend[ModelSpec], history: list[Message], turn: Message,
           args: argparse.Namespace) -> tuple[Finished, str, list[Message]]:
    """Answer ``turn``; while the prompt overflows the context, drop the oldest exchange and ask again.

    Returns the last outcome, its text and the history it was answered with (``history`` itself when
    nothing was dropped). Only the last attempt counts as the answer: it alone ends with a stats line.
    """
    kept = history
    while True:
        fin, text = _stream(engine, [*kept, turn], args, sys.stdout, sys.stderr)
        shorter = _without_oldest_exchange(kept)
        if not isinstance(fin.error, ContextOverflow) or shorter is None:
            break
        if kept is history:
            sys.stderr.write("[the conversation is too long for the context: dropping the oldest turns]\n")
        kept = shorter
    if kept is not history and fin.error is None:
        dropped = _exchanges(history) - _exchanges(kept)
        sys.stderr.write(f"[dropped the oldest {dropped} of {_exchanges(history)} exchanges to fit]\n")
    _end_answer(fin, engine, args, sys.stdout, sys.stderr)
    return fin, text, kept


def _exchanges(history: list[Message]) -> int:
    return sum(1 for m in history if m.role == "user")


def _without_oldest_exchange(history: list[Message]) -> list[Message] | None:
    """``history`` less its oldest question and the answer to it (the system prompt stays); None if none is left."""
    start = 1 if history and history[0].role == "system" else 0
    if len(history) == start:
        return None
    end = start + 1
    while end < len(history) and history[end].role != "user":
        end += 1
    return history[:start] + history[end:]
