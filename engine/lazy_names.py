"""Names of a package imported on first use: a module ``__getattr__`` over a table of name -> submodule.

For packages whose heavy dependencies (``openai``, Starlette) a program may never need: the desktop window
starts without them. Declare the names under ``TYPE_CHECKING`` too, so that type checkers see them.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_getattr(package: str, table: Mapping[str, str]) -> Callable[[str], Any]:
    """The ``__getattr__`` of ``package``: ``name`` comes from ``package.<table[name]>``, imported then, kept."""

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
