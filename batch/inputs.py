"""What a batch runs over: image and PDF files, folders (recursively, those only) and text files listing paths."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from .errors import ImageListUnreadable, InputNotFound

log = logging.getLogger(__name__)

# A PDF is one input: its pages go to the model together (a receipt or an invoice sent as a PDF).
INPUT_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".pdf"})
LIST_SUFFIXES = frozenset({".txt", ".lst"})


def collect_images(inputs: Iterable[Path]) -> list[Path]:
    """Every image the inputs name, in a stable order, each path once; raises ``InputNotFound`` for a missing input.

    A folder contributes the files with image (or PDF) suffixes below it (sorted); a ``.txt``/``.lst`` file one path
    per line (relative to the list's folder; blank lines and ``#`` comments skipped); any other file is
    taken as an image even with an unusual suffix: the user named it, and a broken one becomes an error row.
    """
    found: list[Path] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            found.append(path)

    for given in inputs:
        path = Path(given).expanduser()
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.suffix.lower() in INPUT_SUFFIXES and p.is_file()):
                add(child)
        elif path.suffix.lower() in LIST_SUFFIXES and path.is_file():
            for listed in _read_list(path):
                add(listed)
        elif path.is_file():
            add(path)
        else:
            raise InputNotFound(path)
    return found


def _read_list(path: Path) -> list[Path]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ImageListUnreadable(path, str(exc)) from None
    out: list[Path] = []
    for n, line in enumerate(lines, 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        listed = Path(text).expanduser()
        if not listed.is_absolute():
            listed = path.parent / listed
        if listed.is_dir():
            out.extend(sorted(p for p in listed.rglob("*") if p.suffix.lower() in INPUT_SUFFIXES and p.is_file()))
        else:
            if not listed.exists():
                log.warning("%s line %d: %s does not exist; it will be an error row", path, n, listed)
            out.append(listed)
    return out
