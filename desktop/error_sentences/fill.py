"""What every error sentence needs: filling %1, %2 in one pass, and the values written as the UI writes them."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QLocale

Attributes = dict[str, object]
Sentence = Callable[[Attributes], str]

_PLACEHOLDER = re.compile(r"%(\d)")


def fill(template: str, *values: object) -> str:
    """``template`` with %1, %2 ... replaced by ``values`` (a value that contains "%2" stays as it is)."""
    return _PLACEHOLDER.sub(lambda m: str(values[int(m.group(1)) - 1]), template)


def file_name(value: object) -> str:
    """The last part of a path (``/models/a.gguf`` → ``a.gguf``); an empty string for none."""
    return Path(str(value)).name if value else ""


def whole(value: object) -> str:
    """A whole number with the locale's digit grouping (``1,000,000`` in English)."""
    return QLocale().toString(int(str(value)))


def seconds(value: object) -> str:
    """A number of seconds without trailing zeros (``2.5``, ``30``)."""
    return f"{float(str(value)):g}"


def listed(value: object) -> list[str]:
    """The items of a list or tuple the error keeps, as text (``KeyError`` when it is none: its own words then)."""
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise KeyError("a list")
    return [str(item) for item in value]
