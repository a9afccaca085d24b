"""Entry point of the engine's child process: a loop serving requests from the parent's pipe."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .protocol import SystemInfo

log = logging.getLogger(__name__)

IDLE_POLL_S = 0.05  # images wait while a cancelled answer's flag is up: look again this often


def _setup_logging(log_dir: str | None) -> None:
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    if log_dir:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            Path(log_dir) / "engine.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    else:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)


def system_info() -> SystemInfo:
    """What ``visiondesk doctor`` reports about llama.cpp, the devices it sees and the backends it chose."""
    import llama_cpp

    from .backend_probe import probe
    from .denormals import denormals_flushed
    from .devices import backend_name, gpu_devices, list_devices
    from .protocol import SystemInfo

    llama_cpp.llama_backend_init()
    devices = list_devices()
    gpus = gpu_devices()
    gpu_offload = bool(llama_cpp.llama_supports_gpu_offload())
    return SystemInfo({
        "llama_cpp_python": llama_cpp.__version__,
        "gpu_offload": gpu_offload,
        "backend": backend_name(gpus) if gpus else "CPU",
        "system_info": llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip(),
        "devices": [d.__dict__ for d in devices],
        "denormals_flushed": denormals_flushed(),
    }, probe(gpu_offload))


def main(argv: list[str]) -> int:
    """``python -m visiondesk.engine.llama.worker.child PARENT_PID FLUSH FLAG_PATH [LOG_DIR]``: listen, serve.

    FLUSH is 1 to flush denormal floats (``Tuning.flush_denormals``), 0 to keep IEEE arithmetic.
    """
    from multiprocessing.connection import Listener

    from ...parent_watch import exit_with_parent
    from .cancel_flag import CancelFlag
    from .denormals import flush_denormals

    exit_with_parent(int(argv[0]))
    flush_denormals(argv[1] == "1")  # before llama.cpp starts its threads: they inherit it

    key = bytes.fromhex(os.environ.pop("VISIONDESK_ENGINE_AUTHKEY", ""))
    flag = CancelFlag.attach(argv[2])
    log_dir = argv[3] if len(argv) > 3 and argv[3] else None
    with Listener(authkey=key) as listener:
        sys.stdout.write(repr(listener.address) + "\n")
        sys.stdout.flush()
        conn = listener.accept()
    # Nothing else may write to the pipe the parent stopped reading.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        serve(conn, flag, log_dir)
    finally:
        conn.close()
        flag.close()
    return 0


def serve(conn: Any, cancel_flag: Any, log_dir: str | None) -> None:
    """Serve requests until the pipe closes or ``Quit`` arrives; an unknown message gets an error reply.

    Between requests, images queued by ``PrepareImages`` are encoded one at a time (``image_prepare.py``).
    """
    _setup_logging(log_dir)
    log.info("engine process %d started", os.getpid())
    from .native_libs import load_backends

    load_backends()  # a distribution build's backend modules, before anything imports llama_cpp
    from ...errors import EngineFailure, EngineProtocolError, VisionDeskError
    from .image_prepare import Preparer
    from .inbox import Inbox, Outbox, YieldingFlag
    from .parallel_generation import ParallelRun
    from .parallel_protocol import ParallelJob
    from .persistence import Persistence
    from .prompt_measure import measure_prompt
    from .protocol import (
        ChatJob,
        DropPrepared,
        ErrorReply,
        ForgetImages,
        InfoRequest,
        LoadRequest,
        Measured,
        MeasureRequest,
        Ok,
        PrepareImages,
        Quit,
        ResetRequest,
        RestoreState,
        SaveState,
    )
    from .runtime import Runtime

    inbox, outbox = Inbox(conn), Outbox(conn.send)
    flag = YieldingFlag(cancel_flag)
    runtime = Runtime(flag, outbox.send, inbox.recv)
    preparer = Preparer(runtime, flag, inbox, outbox)
    persistence = Persistence()
    while True:
        if preparer.waiting and not inbox.ready():
            if cancel_flag.value:  # the last answer was cancelled: the flag stays up until the next request
                inbox.ready(IDLE_POLL_S)
            else:
                preparer.step()
                persistence.cache_changed()  # a conversation read ahead
            continue
        try:
            msg = inbox.recv()
        except (EOFError, OSError):
            break
        except Exception as exc:  # a message that does not unpickle here (e.g. a class this side lacks)
            log.error("unreadable message: %r", exc)
            conn.send(ErrorReply.of(EngineProtocolError(f"a message could not be read: {exc}")))
            continue
        try:
            match msg:
                case PrepareImages():  # no reply: nobody waits for this
                    preparer.add(msg)
                case DropPrepared(digests=digests):
                    preparer.drop(digests)
                case ForgetImages(digests=digests):
                    preparer.drop(digests)
                    if runtime.forget_images(digests):
                        persistence.cache_changed()
                case LoadRequest(spec=spec, cache=cache):
                    preparer.clear()
                    loaded = runtime.load(spec, cache)
                    persistence.loaded(runtime, cache)
                    conn.send(loaded)
                case ChatJob() as job:
                    preparer.claim(job)
                    try:
                        runtime.chat(job)
                    finally:
                        persistence.changed(runtime)
                case ParallelJob() as parallel:
                    if runtime.model is None:
                        raise EngineFailure("No model is loaded.")
                    preparer.clear()  # the job takes every sequence: nothing read or encoded ahead applies now
                    runtime.reset()
                    runtime._samplers.drop()  # a sampler attached on the device to sequence 0 would take its logits
                    try:
                        ParallelRun(runtime.model, runtime.embeddings, flag, outbox.send, inbox.recv).run(parallel)
                    finally:
                        persistence.changed(runtime)
                case MeasureRequest(prompt=prompt, images=images, pixel_files=files):
                    conn.send(Measured(measure_prompt(runtime.model, prompt, images, files)))
                case InfoRequest():
                    conn.send(system_info())
                case ResetRequest():
                    runtime.reset()
                    persistence.changed(runtime)
                    conn.send(Ok())
                case SaveState(conversation=conversation):
                    conn.send(persistence.save(runtime, conversation))
                case RestoreState(conversation=conversation):
                    conn.send(persistence.restore(runtime, conversation))
                case Quit():
                    break
                case _:
                    log.error("unknown message %r", type(msg).__name__)
                    conn.send(ErrorReply.unknown(msg))
        except Exception as exc:
            if isinstance(msg, PrepareImages | DropPrepared | ForgetImages):  # no reply: the parent waits for none
                log.exception("%s failed", type(msg).__name__)
            elif isinstance(exc, VisionDeskError):
                conn.send(ErrorReply.of(exc))
            else:
                log.exception("request %s failed", type(msg).__name__)
                conn.send(ErrorReply("EngineFailure", f"The engine failed unexpectedly: {exc}"))
    runtime.unload()
    log.info("engine process %d exits", os.getpid())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
