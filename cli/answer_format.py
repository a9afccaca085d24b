"""``--json-schema FILE`` and ``--json`` for ``visiondesk ask``: the answer's format, checked before and after.

A schema the grammar cannot enforce is refused before the model loads (exit 2); the answer is checked
against it afterwards (exit 1 when it does not validate, for example when it was cut at ``--max-tokens``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from visiondesk.engine import ResponseFormat
from visiondesk.engine.structured import parse_answer, schema_file_format


def add_format_options(parser: argparse.ArgumentParser) -> None:
    """Add the mutually exclusive ``--json-schema FILE`` and ``--json``."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--json-schema", type=Path, metavar="FILE",
                       help="answer with JSON that validates against this JSON Schema file")
    group.add_argument("--json", action="store_true", help="answer with a JSON object")


def response_format(args: argparse.Namespace) -> ResponseFormat | None:
    """The format the options ask for; raises ``InputError`` (``UnsupportedSchema``) naming what is wrong."""
    if getattr(args, "json_schema", None) is not None:
        return schema_file_format(args.json_schema)
    if getattr(args, "json", False):
        return ResponseFormat.json_object()
    return None


def check_answer(fmt: ResponseFormat | None, text: str) -> None:
    """Raise ``AnswerInvalid`` when ``text`` does not parse or validate against ``fmt``."""
    if fmt is not None:
        parse_answer(fmt, text)
