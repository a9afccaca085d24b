"""The parent's side of encoding images ahead of a question (``LocalEngine.prepare_images``).

The engine process does the work between requests (``worker/image_prepare.py``); here the images are
identified and their pixel files found as a chat would, and the message is sent without waiting for any
reply, so the caller's thread (the window's engine thread) is free for the answer at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ..requests import ImageAttachment, ImageSource, ModelSpec
from .child_process import ChildGone, ChildProcess
from .image_feed import ImageFeed
from .worker.protocol import DropPrepared, ParentMessage, PrepareImages

log = logging.getLogger(__name__)


def prepare(child: ChildProcess, spec: ModelSpec, feed: ImageFeed,
            images: Sequence[ImageSource | ImageAttachment]) -> None:
    """Queue ``images`` for encoding in idle ``child`` (``spec`` loaded); raises ``VisionDeskError`` for bad ones."""
    refs, fresh = feed.identify(images, spec)
    files = tuple(feed.pixel_file(i, src, refs[i], fresh, spec.image_max_pixels) for i, src in enumerate(images))
    _tell(child, PrepareImages(tuple(refs), files))


def drop(child: ChildProcess, spec: ModelSpec, feed: ImageFeed,
         images: Sequence[ImageSource | ImageAttachment]) -> None:
    """Tell ``child`` that ``images`` left unsent: unqueue them, free what was encoded ahead of them."""
    refs, _ = feed.identify(images, spec)
    _tell(child, DropPrepared(tuple(ref.digest for ref in refs)))


def _tell(child: ChildProcess, message: ParentMessage) -> None:
    child.cancel(False)  # a cancelled answer's flag would stop the encodes; the process is between requests
    try:
        child.send(message)
    except ChildGone as lost:  # the next request starts a new process and says what happened
        log.warning("the engine process is gone (exit code %s); images not prepared ahead", lost.exitcode)
