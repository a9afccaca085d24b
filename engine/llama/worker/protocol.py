"""Messages between the engine (parent) and its child process; all picklable."""

from __future__ import annotations

import dataclasses

from ...requests import SamplingParams
from ..image_cache import ImageRef


@dataclasses.dataclass(frozen=True)
class ChatJob:
    """One chat request: the rendered prompt (images as media markers) and the images in order.

    Images travel without pixels; the child asks for the pixels of those it must evaluate.
    """

    request_id: int
    prompt: str
    images: tuple[ImageRef, ...]
    sampling: SamplingParams


# Parent -> child: ("load", ModelSpec) | ("chat", ChatJob) | ("info",) | ("reset",) | ("quit",)
# Child -> parent: ("loaded", dict) | ("stage", stage, index, total) | ("text", str)
#                | ("done", stop_reason, usage dict, timings dict) | ("info", dict) | ("ok",)
#                | ("error", error class name, message, attributes)
#                | ("need_pixels", [image index, ...])  -> parent answers ("pixels", {index: rgb} | None)
# Parent -> child: ("measure", prompt, (ImageRef, ...), (rgb, ...)) -> ("measured", dict): prompt_measure.py
