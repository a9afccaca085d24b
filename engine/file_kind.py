"""What a path the user gave leads to, found with ``stat`` alone: nothing is opened or read.

A path can name a folder, a named pipe (reading it blocks until someone writes), a device such as
``/dev/zero`` (reading it never ends), a socket or a link loop. Checking the kind before opening
lets each of them get its own sentence instead of a hang, a ``MemoryError`` or "does not exist".
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


def path_problem(path: Path) -> str | None:
    """None for a regular file (after following links); otherwise what the path is, as a phrase.

    The phrase completes "X is ...": "missing", "a folder", "a symbolic link that leads back to
    itself (a link loop)", "a named pipe (FIFO)", "a device", ...; "missing" is for the caller to
    word as it already does.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        return _stat_failure(path, exc)
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _stat_failure(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symbolic link that leads back to itself (a link loop)"
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        try:
            target = os.readlink(path)
        except OSError:
            return "missing"
        return f"a symbolic link to {target}, which does not exist"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "not readable (permission denied)"
    return f"not readable ({exc.strerror or exc})"
