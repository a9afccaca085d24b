"""A purge names the pixel digests of the images that went, so their prepared pixels and embeddings can go too;
a picture another stored file still shows (the same pixels saved another way) is not named."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image
from visiondesk.core.store import ConversationStore
from visiondesk.engine import ImageSource
from visiondesk.engine.pixel_cache import PixelCache


def saved(path: Path, color: tuple[int, int, int], level: int) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 9), color).save(buffer, format="PNG", compress_level=level)
    path.write_bytes(buffer.getvalue())
    return path


def test_a_purge_names_the_pictures_no_stored_file_shows_any_more(tmp_path: Path) -> None:
    pixels = PixelCache(tmp_path / "pixels")
    with ConversationStore(tmp_path / "c.db", tmp_path / "attachments") as store:
        only_here, _ = store.attach(ImageSource(path=saved(tmp_path / "a.png", (9, 9, 9), 1)), pixels)
        same_pixels, _ = store.attach(ImageSource(path=saved(tmp_path / "b.png", (7, 7, 7), 1)), pixels)
        other_file, _ = store.attach(ImageSource(path=saved(tmp_path / "c.png", (7, 7, 7), 9)), pixels)
        assert same_pixels.sha256 != other_file.sha256 and same_pixels.digest == other_file.digest  # the premise
        doomed, stays = store.create_conversation(), store.create_conversation()
        store.add_message(doomed.id, "user", "two photos", attachments=[only_here, same_pixels])
        store.add_message(stays.id, "user", "the same picture, saved again", attachments=[other_file])
        store.delete_conversation(doomed.id)
        purged = store.purge_deleted()
        assert purged.conversations == 1
        assert purged.digests == (only_here.digest,)
        assert pixels.forget(purged.digests) == 1
        assert not pixels.path_for(only_here.digest).exists() and pixels.path_for(other_file.digest).exists()


def test_an_image_sent_before_its_check_is_named_by_the_digest_the_engine_gave_it(tmp_path: Path) -> None:
    """Sent as bytes (its check had not finished, and never recorded a digest): the purge decodes it to name it."""
    from visiondesk.engine import prepare_image

    photo = saved(tmp_path / "early.png", (40, 90, 10), 6)
    with ConversationStore(tmp_path / "c.db", tmp_path / "attachments") as store:
        conv = store.create_conversation()
        message = store.add_message(conv.id, "user", "quick", attachments=[(photo.read_bytes(), "early.png")])
        assert message.attachments[0].digest == ""  # the premise
        store.delete_conversation(conv.id)
        purged = store.purge_deleted()
    assert purged.digests == (prepare_image(ImageSource(path=photo)).digest,)
