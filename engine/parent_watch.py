"""A child process (the engine's, the PDF drawer's) ends when its parent does, even in the middle of native work.

An app killed outright (SIGKILL, a crash, the task manager) cannot close its children: without this the
engine would run on until its next write to the dead pipe, seconds later, holding gigabytes of model, and a
PDF that makes PDFium spin would keep a core busy.
Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``, so the kernel kills the child when the parent thread that
started it exits (the parent starts every engine process from one thread that lives as long as the process;
see ``engine/llama/child_process.py``). Elsewhere, or for a child started from any thread
(``death_signal=False``), a daemon thread checks twice a second: on Windows it waits on a handle of the parent
process, on POSIX systems it watches ``os.getppid()`` change (the orphan is adopted by another process).
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

POLL_S = 0.5
_PR_SET_PDEATHSIG = 1


def exit_with_parent(parent_pid: int, death_signal: bool = True) -> None:
    """Arrange for this process to end when ``parent_pid`` (its parent) ends; call first thing.

    ``death_signal=False``: never the kernel's signal, which fires when the parent *thread* that started this
    process ends (a pool thread's end would kill it); the watching thread instead.
    """
    if death_signal and sys.platform.startswith("linux") and _set_death_signal():
        if os.getppid() != parent_pid:  # the parent died before the signal was armed
            os._exit(1)
        return
    if sys.platform == "win32":
        target = _wait_for_windows_process(parent_pid)
    else:
        target = _poll_parent(parent_pid)
    threading.Thread(target=target, name="parent-watch", daemon=True).start()


def _set_death_signal() -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0)
    except (OSError, AttributeError) as exc:
        log.warning("prctl(PR_SET_PDEATHSIG) is not available (%s); polling the parent instead", exc)
        return False


def _poll_parent(parent_pid: int) -> Callable[[], None]:
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(POLL_S)
        os._exit(1)

    return watch


if sys.platform == "win32":
    def _wait_for_windows_process(pid: int) -> Callable[[], None]:
        synchronize, infinite = 0x00100000, 0xFFFFFFFF
        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        handle = kernel32.OpenProcess(synchronize, False, pid)

        def watch() -> None:
            if handle:
                kernel32.WaitForSingleObject(handle, infinite)
            os._exit(1)  # no handle: the parent is already gone

        return watch
