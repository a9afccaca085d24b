"""One identity per image: a photo is decoded once, when it is attached, and never again for its conversation.

Issue 16 item 3. Decodes are counted where Pillow really decodes an image file (``ImageFile.load``), for
images of the photo's size only; the engine process runs libmtmd on the prepared pixels it memory-maps
from the pixel cache, and Qt's own thumbnails in the transcript are not Pillow decodes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from tests.desktop.conftest import open_shell, write_settings
from tests.desktop.test_desktop_chat import send

PHOTO_SIZE = (333, 222)  # a size no other image of these tests has


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "receipt.jpg"
    Image.radial_gradient("L").convert("RGB").resize(PHOTO_SIZE).save(path, quality=90)
    return path


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The sizes of the images Pillow decodes from now on (a spy around the real decoder)."""
    seen: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load

    def load(self: ImageFile.ImageFile):  # type: ignore[no-untyped-def]
        if self.tile:  # pixels still to be decoded (load() on a decoded image only returns them)
            seen.append(tuple(self.size))
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return seen


def test_a_photo_is_decoded_once_from_attach_to_answers_and_after_a_restart(qtbot, data_dir, test_models, photo,
                                                                           decodes):
    write_settings(data_dir, model_path=str(test_models.model), mmproj_path=str(test_models.mmproj))
    shell = open_shell(qtbot, data_dir)
    try:
        first = send(qtbot, shell, "What is the total?", [photo])
        # Encoded once: ahead, while the question was typed (issue 24), or by the answer if it came first.
        ahead = shell.engine.worker._engine.prepared.encoded  # noqa: SLF001 - the window's local engine
        assert first.error is None and first.usage.images_encoded + ahead == 1
        assert decodes.count(PHOTO_SIZE) == 1, "attach, store, send and the first answer decode the photo once"
        follow = send(qtbot, shell, "And the tax?")
        assert follow.error is None and follow.usage.images_reused == 1
        assert decodes.count(PHOTO_SIZE) == 1, "a follow-up decodes nothing"
        conv = shell.chat.conversation_id
        [stored] = shell.store.messages(conv)[0].attachments
        assert stored.digest and stored.width == PHOTO_SIZE[0]
    finally:
        shell.shutdown()
        shell.window.hide()
    again = open_shell(qtbot, data_dir)
    try:
        again.conversations.select(conv)
        qtbot.waitUntil(lambda: again.chat.conversation_id == conv, timeout=5_000)
        after = send(qtbot, again, "Who is the merchant?")
        assert after.error is None
        # The conversation's state saved at quit holds the image (issue 24): nothing is encoded or decoded again.
        assert after.usage.images_encoded == 0 and after.usage.prompt_tokens_evaluated < first.usage.prompt_tokens
        assert decodes.count(PHOTO_SIZE) == 1, "the photo is not decoded again"
    finally:
        again.shutdown()


def test_without_the_pixel_cache_the_engine_decodes_the_stored_copy_and_checks_its_identity(
        qtbot, data_dir, test_models, photo, decodes):
    write_settings(data_dir, model_path=str(test_models.model), mmproj_path=str(test_models.mmproj))
    shell = open_shell(qtbot, data_dir)
    try:
        send(qtbot, shell, "What is the total?", [photo])
        conv = shell.chat.conversation_id
    finally:
        shell.shutdown()
        shell.window.hide()
    for cached in (data_dir / "cache" / "pixels").glob("*.rgb"):
        cached.unlink()  # a cleared cache loses nothing: the stored file is decoded once more
    shutil.rmtree(data_dir / "cache" / "engine")  # and the engine's saved state and embeddings are gone too
    again = open_shell(qtbot, data_dir)
    try:
        again.conversations.select(conv)
        qtbot.waitUntil(lambda: again.chat.conversation_id == conv, timeout=5_000)
        after = send(qtbot, again, "Who is the merchant?")
        assert after.error is None and after.usage.images_encoded == 1
        assert decodes.count(PHOTO_SIZE) == 2
        assert list((data_dir / "cache" / "pixels").glob("*.rgb")), "the decoded pixels are cached again"
    finally:
        again.shutdown()
