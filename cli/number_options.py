"""Numeric command-line options checked by the engine's number rules: a bad number is a usage error.

argparse turns the ``ArgumentTypeError`` these raise into exit code 2 and one line
("argument --ctx: the context size must be a positive number of tokens ..., not -5"), before any model loads.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from visiondesk.engine import defaults
from visiondesk.engine.number_rules import GPU_LAYERS, MAIN_GPU, PARALLEL, BadNumber, NumberRule, parse_gpu_split


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


def parallel_option(text: str) -> int:
    """An argparse ``type=`` for ``--parallel``: ``auto`` (0: as free memory allows) or a number of slots."""
    if text.strip().lower() == "auto":
        return 0
    return int(number_option(PARALLEL)(text))


def gpu_split_option(text: str) -> str | tuple[float, ...]:
    """An argparse ``type=`` for ``--gpu-split``: ``auto``, ``even`` or one share per GPU (``3,1``)."""
    try:
        split: str | tuple[float, ...] = parse_gpu_split(text)
    except BadNumber as exc:
        raise argparse.ArgumentTypeError(exc.clause) from None
    return split


def add_gpu_placement(p: argparse.ArgumentParser) -> None:
    """``--gpu-split`` and ``--main-gpu``: how a machine with several GPUs shares the model between them."""
    p.add_argument("--gpu-split", type=gpu_split_option, default=defaults.GPU_SPLIT, metavar="auto|even|A,B,...",
                   help="how several GPUs share the layers: auto (in proportion to free memory, the default), even, "
                        "or one share per GPU such as 3,1")
    p.add_argument("--main-gpu", type=number_option(MAIN_GPU), default=defaults.MAIN_GPU, metavar="N",
                   help="the GPU (from 0) that holds the vision projector (default: the one with the most free memory)")
