"""Entry point of the engine's child process: a loop serving requests from the parent's pipe."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


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


def system_info() -> dict[str, Any]:
    """What ``visiondesk doctor`` reports about llama.cpp and the devices it sees."""
    import llama_cpp

    from .denormals import denormals_flushed
    from .devices import backend_name, gpu_devices, list_devices

    llama_cpp.llama_backend_init()
    devices = list_devices()
    gpus = gpu_devices()
    return {
        "llama_cpp_python": llama_cpp.__version__,
        "gpu_offload": bool(llama_cpp.llama_supports_gpu_offload()),
        "backend": backend_name(gpus) if gpus else "CPU",
        "system_info": llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip(),
        "devices": [d.__dict__ for d in devices],
        "denormals_flushed": denormals_flushed(),
    }


def main(argv: list[str]) -> int:
    """``python -m visiondesk.engine.llama.worker.child PARENT_PID FLUSH FLAG_PATH [LOG_DIR]``: listen, serve.

    FLUSH is 1 to flush denormal floats (``Tuning.flush_denormals``), 0 to keep IEEE arithmetic.
    """
    from multiprocessing.connection import Listener

    from .cancel_flag import CancelFlag
    from .denormals import flush_denormals
    from .parent_watch import exit_with_parent

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
    """Serve requests until the pipe closes or ``Quit`` arrives; an unknown message gets an error reply."""
    _setup_logging(log_dir)
    log.info("engine process %d started", os.getpid())
    from ...errors import EngineFailure, EngineProtocolError, VisionDeskError
    from .parallel_generation import ParallelRun
    from .parallel_protocol import ParallelJob
    from .prompt_measure import measure_prompt
    from .protocol import (
        ChatJob,
        ErrorReply,
        InfoRequest,
        LoadRequest,
        Measured,
        MeasureRequest,
        Ok,
        Quit,
        ResetRequest,
        SystemInfo,
    )
    from .runtime import Runtime

    runtime = Runtime(cancel_flag, conn.send, conn.recv)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            break
        except Exception as exc:  # a message that does not unpickle here (e.g. a class this side lacks)
            log.error("unreadable message: %r", exc)
            conn.send(ErrorReply.of(EngineProtocolError(f"a message could not be read: {exc}")))
            continue
        try:
            match msg:
                case LoadRequest(spec=spec):
                    conn.send(runtime.load(spec))
                case ChatJob() as job:
                    runtime.chat(job)
                case ParallelJob() as parallel:
                    if runtime.model is None:
                        raise EngineFailure("No model is loaded.")
                    runtime.reset()  # the job uses every sequence; the chat's cached prefix goes
                    runtime._samplers.drop()  # a sampler attached on the device to sequence 0 would take its logits
                    ParallelRun(runtime.model, runtime.embeddings, cancel_flag, conn.send, conn.recv).run(parallel)
                case MeasureRequest(prompt=prompt, images=images, pixel_files=files):
                    conn.send(Measured(measure_prompt(runtime.model, prompt, images, files)))
                case InfoRequest():
                    conn.send(SystemInfo(system_info()))
                case ResetRequest():
                    runtime.reset()
                    conn.send(Ok())
                case Quit():
                    break
                case _:
                    log.error("unknown message %r", type(msg).__name__)
                    conn.send(ErrorReply.unknown(msg))
        except VisionDeskError as exc:
            conn.send(ErrorReply.of(exc))
        except Exception as exc:
            log.exception("request %s failed", type(msg).__name__)
            conn.send(ErrorReply("EngineFailure", f"The engine failed unexpectedly: {exc}"))
    runtime.unload()
    log.info("engine process %d exits", os.getpid())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
