"""``purge_deleted``: a deleted conversation goes for good, its words out of the database's files and its images with
it, but not images a composer still holds nor a conversation deleted after the cutoff. It names the pixel digests of
the images that went, so their prepared pixels and embeddings can go too; a picture another stored file still shows
(the same pixels saved another way) is not named."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from visiondesk.core.store import ConversationStore
from visiondesk.engine import ImageSource
from visiondesk.engine.pixel_cache import PixelCache

from .images import png_bytes


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


def test_deleted_words_are_overwritten_whatever_sqlite_was_built_with(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Debian's SQLite overwrites deleted content by default, Windows' and macOS' Pythons' do not: the store asks."""
    from visiondesk.core import store_schema

    real_connect = sqlite3.connect

    def connect_as_elsewhere(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)
        conn.execute("PRAGMA secure_delete=OFF")  # as a build without SQLITE_SECURE_DELETE starts
        return conn

    monkeypatch.setattr(store_schema.sqlite3, "connect", connect_as_elsewhere)
    with ConversationStore(tmp_path / "c.db", tmp_path / "att") as store:
        assert store.connection.execute("PRAGMA secure_delete").fetchone()[0] == 1


def test_an_image_held_by_two_keepings_outlives_one_of_them_being_sent_and_purged(store: ConversationStore,
                                                                                 tmp_path: Path) -> None:
    given = tmp_path / "screenshot.png"
    given.write_bytes(png_bytes(9, 9, (1, 1, 1)))
    in_a_draft, _ = store.attach(ImageSource(path=given), None)  # another conversation's draft holds it
    again, _ = store.attach(ImageSource(path=given), None)  # the same bytes attached here, and sent
    conv = store.create_conversation()
    store.add_message(conv.id, "user", "what is this?", attachments=[again])
    store.delete_conversation(conv.id)
    assert store.purge_deleted().conversations == 1
    assert in_a_draft.path is not None and in_a_draft.path.exists()  # the draft can still send it
    store.purge_deleted(spare_unsent=False)  # quitting: no composer, no draft is left
    assert not in_a_draft.path.exists()


def test_an_image_the_composer_let_go_of_is_purged(store: ConversationStore, tmp_path: Path) -> None:
    given = tmp_path / "photo.png"
    given.write_bytes(png_bytes(8, 8, (3, 3, 3)))
    conv = store.create_conversation()
    # Sent before its check finished: the message stores the bytes itself; the check's copy comes after, unheld.
    sent = store.add_message(conv.id, "user", "what?", attachments=[given])
    late, _ = store.attach(ImageSource(path=given), None)
    store.release([late])
    removed, _ = store.attach(ImageSource(data=png_bytes(4, 4, (9, 1, 1)), name="removed.png"), None)
    store.release([removed])  # its chip was removed
    store.delete_conversation(conv.id)
    assert store.purge_deleted().conversations == 1
    assert not sent.attachments[0].path.exists() and removed.path is not None and not removed.path.exists()


def _database_bytes(store: ConversationStore) -> bytes:
    """The database as it lies on disk: the main file, and its write-ahead log and index if any."""
    files = [store.db_path, *(store.db_path.with_name(store.db_path.name + end) for end in ("-wal", "-shm"))]
    return b"".join(f.read_bytes() for f in files if f.exists())


def test_a_purged_conversation_leaves_no_words_in_the_files(store: ConversationStore) -> None:
    secret = "passport P-4417-ZQX renewal"
    keep = store.create_conversation("groceries")
    store.add_message(keep.id, "user", "a list of groceries " * 50)
    doomed = store.create_conversation(f"About my {secret}")
    photo = store.add_message(doomed.id, "user", f"Read my {secret} " * 40, attachments=[(png_bytes(5, 5), "id.png")])
    store.add_message(doomed.id, "assistant", f"The {secret} expires in May. " * 40)
    store.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert secret.encode() in _database_bytes(store)

    store.delete_conversation(doomed.id)
    assert secret.encode() in _database_bytes(store)  # hidden, still there: Undo can bring it back
    assert store.purge_deleted().conversations == 1
    assert secret.encode() not in _database_bytes(store)  # overwritten, not left in free pages or the log
    assert not photo.attachments[0].path.exists()
    assert [m.text[:9] for m in store.messages(keep.id)] == ["a list of"]


def test_an_image_attached_but_not_sent_outlives_a_purge_until_it_is_sent_and_deleted(
        store: ConversationStore, tmp_path: Path) -> None:
    given = tmp_path / "receipt.png"
    given.write_bytes(png_bytes(7, 7, (5, 6, 7)))
    pending, _ = store.attach(ImageSource(path=given), None)  # in the composer, not sent
    assert store.purge_deleted().conversations == 0
    assert pending.path is not None and pending.path.exists()  # a Send may still come
    conv = store.create_conversation()
    sent = store.add_message(conv.id, "user", "total?", attachments=[pending])
    store.delete_conversation(conv.id)
    assert store.purge_deleted().conversations == 1
    assert not sent.attachments[0].path.exists()  # sent, then deleted: gone


def test_a_purge_spares_a_conversation_deleted_after_its_cutoff(tmp_path: Path) -> None:
    now = [1000.0]
    store = ConversationStore(tmp_path / "c.db", tmp_path / "att", clock=lambda: now[0])
    try:
        first, second = store.create_conversation("first"), store.create_conversation("second")
        cutoff = store.delete_conversation(first.id)
        now[0] += 3
        store.delete_conversation(second.id)  # its Undo is still on offer
        assert store.purge_deleted(deleted_up_to=cutoff).conversations == 1
        store.restore_conversation(second.id)
        assert [c.title for c in store.list_conversations()] == ["second"]
    finally:
        store.close()
