"""What a path the user gave leads to, found with ``stat`` alone: nothing is opened or read.

A path can name a folder, a named pipe (reading it blocks until someone writes), a device such as
``/dev/zero`` (reading it never ends), a socket or a link loop. Checking the kind before opening
lets each of them get its own sentence instead of a hang, a ``MemoryError`` or "does not exist".
"""

from __future__ import annotations

import dataclasses
import errno
import os
import stat
from pathlib import Path


@dataclasses.dataclass(frozen=True)
class PathKind:
    """What a path that is no regular file is: a stable ``code``, the English ``phrase``, and its ``detail``.

    ``code`` is one of "missing", "folder", "pipe", "device", "socket", "not_regular", "link_loop",
    "broken_link" (``detail``: where the link points), "no_permission" and "unreadable" (``detail``: why).
    """

    code: str
    phrase: str
    detail: str = ""


def path_kind(path: Path) -> PathKind | None:
    """None for a regular file (after following links); otherwise what the path is."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return _stat_failure(path, exc)
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return PathKind("folder", "a folder")
    if stat.S_ISFIFO(mode):
        return PathKind("pipe", "a named pipe (FIFO)")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return PathKind("device", "a device")
    if stat.S_ISSOCK(mode):
        return PathKind("socket", "a socket")
    return PathKind("not_regular", "not a regular file")


def path_problem(path: Path) -> str | None:
    """None for a regular file (after following links); otherwise what the path is, as a phrase.

    The phrase completes "X is ...": "missing", "a folder", "a symbolic link that leads back to
    itself (a link loop)", "a named pipe (FIFO)", "a device", ...; "missing" is for the caller to
    word as it already does.
    """
    kind = path_kind(path)
    return kind.phrase if kind is not None else None


def _stat_failure(path: Path, exc: OSError) -> PathKind:
    if exc.errno == errno.ELOOP:
        return PathKind("link_loop", "a symbolic link that leads back to itself (a link loop)")
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        try:
            target = os.readlink(path)
        except OSError:
            return PathKind("missing", "missing")
        return PathKind("broken_link", f"a symbolic link to {target}, which does not exist", target)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return PathKind("no_permission", "not readable (permission denied)")
    why = exc.strerror or str(exc)
    return PathKind("unreadable", f"not readable ({why})", why)
