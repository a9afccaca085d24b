"""Errors in the UI's language: chosen by the error's stable ``code``, filled from its attributes.

The engine, the remote servers, the model manager and batch jobs write English messages for logs and the command
line. The window never parses them: it looks the error's ``code`` up in the sentences of
``error_sentences`` and builds the sentence from the attributes the error keeps (a path, a host, a
size). An error without a known code, or without the attributes its sentence needs (rebuilt across
processes without them), is shown with its own message.
"""

from __future__ import annotations

from visiondesk.engine.errors import VisionDeskError

from .error_sentences import batch, engine, models, remote
from .error_sentences.fill import Sentence

SENTENCES: dict[str, Sentence] = {**engine.SENTENCES, **remote.SENTENCES, **models.SENTENCES, **batch.SENTENCES}


def error_text(error: BaseException) -> str:
    """``error`` as a sentence in the current UI language (its own message where no translation applies)."""
    code = getattr(error, "code", None)
    sentence = SENTENCES.get(code) if isinstance(error, VisionDeskError) and isinstance(code, str) else None
    if sentence is None:
        return str(error)
    try:
        return sentence({"message": str(error), **vars(error)})
    except KeyError:  # rebuilt across processes without the attribute: its own words then
        return str(error)
