"""An attachment has one identity, its pixels prepared for the default target (what the conversation store
records), whichever projector is loaded. So a photo larger than the projector needs still answers after the
pixel cache lost its pixels (they are decoded again to the same identity, not refused as "changed"), and one sent
before its check finished gets the identity the check then records (a purge finds its files by it)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PIL import Image
from visiondesk.engine import Message, SamplingParams
from visiondesk.engine.attachments import attach_image
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.pixel_cache import PixelCache
from visiondesk.engine.requests import ImageSource

from tests.engine.conftest import run, spec
from tests.model_factory import GeneratedModels

SHORT = SamplingParams(temperature=0.0, max_tokens=2, repeat_penalty=1.0)


def large_photo(folder: Path) -> Path:
    """More pixels than the generated projector's target (3.1 megapixels), fewer than the default's."""
    img = Image.new("RGB", (3600, 2400), (200, 40, 40))
    for x in range(0, 3600, 7):
        img.putpixel((x, x % 2400), (255, 255, 255))
    path = folder / "large.png"
    img.save(path)
    return path


def test_an_attachment_keeps_its_identity_under_any_projector(test_models: GeneratedModels, tmp_path: Path) -> None:
    pixels = PixelCache(tmp_path / "pixels")
    attachment, prepared = attach_image(ImageSource(path=large_photo(tmp_path)), pixels)
    unchecked = dataclasses.replace(attachment, digest="")  # sent before its check finished
    with LocalEngine(log_dir=tmp_path / "logs", pixels=pixels) as e:
        e.load(spec(test_models))
        assert e._images.target.max_pixels < prepared.width * prepared.height  # the premise: another size

        pixels.path_for(attachment.digest).unlink()  # the cache lost them (trimmed, or cleared)
        _text, finished, _events = run(e, [Message.user("What is this?", attachment)], SHORT)
        assert finished.error is None, finished.error
        assert pixels.path_for(attachment.digest).is_file()  # decoded again, to the same identity

        refs, _fresh = e._images.identify([unchecked], spec(test_models))
        assert refs[0].digest == attachment.digest
