"""Messages between the engine (parent) and its child process; all picklable."""

from __future__ import annotations

import dataclasses

from ..images import PreparedImage
from ..requests import SamplingParams


@dataclasses.dataclass(frozen=True)
class ChatJob:
    """One chat request: the rendered prompt (images as media markers) and the images in order."""

    request_id: int
    prompt: str
    images: tuple[PreparedImage, ...]
    sampling: SamplingParams


# Parent -> child: ("load", ModelSpec) | ("chat", ChatJob) | ("info",) | ("reset",) | ("quit",)
# Child -> parent: ("loaded", dict) | ("stage", stage, index, total) | ("text", str)
#                | ("done", stop_reason, usage dict, timings dict) | ("info", dict) | ("ok",)
#                | ("error", error class name, message)
