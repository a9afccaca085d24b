"""The parent's side of encoding images ahead of a question (``LocalEngine.prepare_images``).

The engine process does the work between requests (``worker/image_prepare.py``); here the images are
identified and their pixel files found as a chat would, and the message is sent without waiting for any
reply, so the caller's thread (the window's engine thread) is free for the answer at once.

With the conversation the images will join, the prompt is rendered up to where the question's text will
go (``question_prefix``), so that the engine process can read that far ahead too. That needs a template
that puts a message's images before its text (``chat_template.message_content`` does, and the common
templates keep that order); otherwise the images are only encoded.

Images deleted for good go the same way (``forget``): the engine process drops their embeddings, and its cached
conversation if that holds any.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence

from ..requests import ImageAttachment, ImageSource, Message, ModelSpec
from .chat_template import MEDIA_MARKER, render_prompt
from .child_process import ChildGone, ChildProcess
from .image_feed import ImageFeed
from .worker.protocol import DropPrepared, ForgetImages, ParentMessage, PrepareImages

log = logging.getLogger(__name__)

_QUESTION = "\u2063visiondesk question\u2063"  # stands for the text not typed yet; found again after rendering


@dataclasses.dataclass(frozen=True)
class Template:
    """The loaded model's chat template and the texts it is rendered with."""

    source: str
    bos: str
    eos: str


def question_prefix(template: Template, history: Sequence[Message],
                    images: Sequence[ImageSource | ImageAttachment]) -> str:
    """The prompt up to the text of a question about ``images`` after ``history``; "" if the text comes first."""
    prompt = render_prompt(template.source, [*history, Message.user(_QUESTION, *images)], bos_token=template.bos,
                           eos_token=template.eos)
    at = prompt.find(_QUESTION)
    last_image = prompt.rfind(MEDIA_MARKER, 0, max(at, 0))
    # The prefix must end in text after the last image: the engine samples after reading it, which needs logits.
    if at < 0 or last_image < 0 or last_image + len(MEDIA_MARKER) == at or prompt.count(MEDIA_MARKER, at):
        return ""
    return prompt[:at]


def prepare(child: ChildProcess, spec: ModelSpec, feed: ImageFeed, images: Sequence[ImageSource | ImageAttachment],
            history: Sequence[Message] | None, template: Template) -> None:
    """Queue ``images`` for encoding in idle ``child`` (``spec`` loaded), and the prefix if ``history`` is given.

    Raises ``VisionDeskError`` for an image that cannot be read.
    """
    sources = [*(src for m in history or () for src in m.images), *images]
    refs, fresh = feed.identify(sources, spec)
    files = tuple(feed.pixel_file(i, src, refs[i], fresh, spec.image_max_pixels) for i, src in enumerate(sources))
    new = len(sources) - len(images)
    prefix = question_prefix(template, history, images) if history is not None else ""
    if prefix:
        _tell(child, PrepareImages(tuple(refs[new:]), files[new:], prefix, tuple(refs), files))
    else:
        _tell(child, PrepareImages(tuple(refs[new:]), files[new:]))


def drop(child: ChildProcess, spec: ModelSpec, feed: ImageFeed,
         images: Sequence[ImageSource | ImageAttachment]) -> None:
    """Tell ``child`` that ``images`` left unsent: unqueue them, free what was encoded ahead of them."""
    refs, _ = feed.identify(images, spec)
    _tell(child, DropPrepared(tuple(ref.digest for ref in refs)))


def forget(child: ChildProcess, digests: Sequence[str]) -> None:
    """Tell ``child`` that the pictures ``digests`` were deleted for good: nothing derived from them may stay."""
    _tell(child, ForgetImages(tuple(digests)))


def _tell(child: ChildProcess, message: ParentMessage) -> None:
    child.cancel(False)  # a cancelled answer's flag would stop the encodes; the process is between requests
    try:
        child.send(message)
    except ChildGone as lost:  # the next request starts a new process and says what happened
        log.warning("the engine process is gone (exit code %s); %s not sent", lost.exitcode, type(message).__name__)
