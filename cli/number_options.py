"""Numeric command-line options checked by the engine's number rules: a bad number is a usage error.

argparse turns the ``ArgumentTypeError`` these raise into exit code 2 and one line
("argument --ctx: the context size must be a positive number of tokens ..., not -5"), before any model loads.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from visiondesk.engine.number_rules import GPU_LAYERS, BadNumber, NumberRule


def number_option(rule: NumberRule) -> Callable[[str], int | float]:
    """An argparse ``type=`` that parses a number and holds it to ``rule``."""

    def parse(text: str) -> int | float:
        try:
            value: int | float = rule.parse(text)
        except BadNumber as exc:
            raise argparse.ArgumentTypeError(exc.clause) from None
        return value

    parse.__name__ = rule.what  # argparse names the type in messages it writes itself
    return parse


def gpu_layers_option(text: str) -> int | str:
    """An argparse ``type=`` for ``--gpu-layers``: ``auto`` or a number of layers."""
    if text.strip().lower() == "auto":
        return "auto"
    return int(number_option(GPU_LAYERS)(text))
