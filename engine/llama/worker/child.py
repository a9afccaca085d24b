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
    """``python -m visiondesk.engine.worker.child FLAG_PATH [LOG_DIR]``: listen, print the address, serve."""
    from multiprocessing.connection import Listener

    from .cancel_flag import CancelFlag
    from .denormals import flush_denormals

    flush_denormals()  # first: the threads llama.cpp starts later inherit it

    key = bytes.fromhex(os.environ.pop("VISIONDESK_ENGINE_AUTHKEY", ""))
    flag = CancelFlag.attach(argv[0])
    log_dir = argv[1] if len(argv) > 1 and argv[1] else None
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
    """Serve load/chat/info requests until the pipe closes or "quit" arrives."""
    _setup_logging(log_dir)
    log.info("engine process %d started", os.getpid())
    from ...errors import VisionDeskError
    from .prompt_measure import measure_prompt
    from .runtime import Runtime

    runtime = Runtime(cancel_flag, conn.send, conn.recv)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            break
        kind = msg[0]
        try:
            if kind == "load":
                conn.send(("loaded", runtime.load(msg[1])))
            elif kind == "chat":
                runtime.chat(msg[1])
            elif kind == "measure":  # ("measure", prompt, image refs, pixels): tokens, without evaluating
                conn.send(("measured", measure_prompt(runtime.model, msg[1], msg[2], msg[3])))
            elif kind == "info":
                conn.send(("info", system_info()))
            elif kind == "reset":
                runtime.reset()
                conn.send(("ok",))
            elif kind == "quit":
                break
        except VisionDeskError as exc:
            conn.send(("error", type(exc).__name__, str(exc), dict(vars(exc))))
        except Exception as exc:
            log.exception("request %s failed", kind)
            conn.send(("error", "EngineFailure", f"The engine failed unexpectedly: {exc}"))
    runtime.unload()
    log.info("engine process %d exits", os.getpid())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
