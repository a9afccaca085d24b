from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from visiondesk.core import store_files
from visiondesk.core.store import ConversationStore, NotFoundError
from visiondesk.core.store_schema import SCHEMA_VERSION
from visiondesk.engine import InputError
from visiondesk.engine.errors import ImageError

from .images import jpeg_bytes, png_bytes


def test_pragmas_and_schema_version(store: ConversationStore) -> None:
    conn = sqlite3.connect(store.db_path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 1
    finally:
        conn.close()
    assert store.connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.connection.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_persistence_across_reopen(store_factory: Callable[[], ConversationStore], tmp_path: Path) -> None:
    image = tmp_path / "Cat Photo.PNG"
    image.write_bytes(png_bytes(12, 7))
    store = store_factory()
    conv = store.create_conversation("first", model="/models/a.gguf")
    user = store.add_message(conv.id, "user", "what is this?", attachments=[image])
    answer = store.add_message(conv.id, "assistant", "a red square", stats={"tokens": 3, "tps": 12.5})
    store.close()

    reopened = store_factory()
    assert [c.id for c in reopened.list_conversations()] == [conv.id]
    got = reopened.get_conversation(conv.id)
    assert (got.title, got.model) == ("first", "/models/a.gguf")
    messages = reopened.messages(conv.id)
    assert [(m.id, m.role, m.text, m.complete) for m in messages] == [
        (user.id, "user", "what is this?", True),
        (answer.id, "assistant", "a red square", True),
    ]
    assert messages[1].stats == {"tokens": 3, "tps": 12.5}
    (attachment,) = messages[0].attachments
    assert attachment.name == "Cat Photo.PNG"
    assert (attachment.width, attachment.height) == (12, 7)
    assert attachment.path.name == attachment.sha256 + ".png"
    assert attachment.path.read_bytes() == image.read_bytes()
    assert messages[0] == user


def test_attachments_deduplicated_by_hash(store: ConversationStore, tmp_path: Path) -> None:
    data = png_bytes(5, 5)
    on_disk = tmp_path / "a.png"
    on_disk.write_bytes(data)
    c1 = store.create_conversation()
    c2 = store.create_conversation()
    m1 = store.add_message(c1.id, "user", "one", attachments=[on_disk, (data, "copy.png")])
    m2 = store.add_message(c2.id, "user", "two", attachments=[(data, "again.png"), (jpeg_bytes(), "blue")])
    assert m1.attachments[0].sha256 == m1.attachments[1].sha256 == m2.attachments[0].sha256
    assert [a.name for a in m1.attachments] == ["a.png", "copy.png"]
    # The nameless JPEG gets its extension from the image format.
    assert m2.attachments[1].path.suffix == ".jpg"
    assert (m2.attachments[1].width, m2.attachments[1].height) == (10, 4)
    files = sorted(p.name for p in store.attachments_dir.iterdir())
    assert files == sorted({m1.attachments[0].path.name, m2.attachments[1].path.name})
    assert store.messages(c2.id)[0].attachments == m2.attachments


def test_non_image_attachment_rejected_without_writing(store: ConversationStore) -> None:
    conv = store.create_conversation()
    with pytest.raises(ValueError, match="not a readable image"):
        store.add_message(conv.id, "user", "hi", attachments=[(b"not an image", "x.png")])
    assert store.messages(conv.id) == []
    assert list(store.attachments_dir.iterdir()) == []


def test_unknown_role_and_ids(store: ConversationStore) -> None:
    conv = store.create_conversation()
    with pytest.raises(ValueError, match="role"):
        store.add_message(conv.id, "robot", "x")
    with pytest.raises(NotFoundError):
        store.add_message(conv.id + 100, "user", "x")
    with pytest.raises(NotFoundError):
        store.get_conversation(conv.id + 100)
    with pytest.raises(NotFoundError):
        store.update_message(12345, "x", True)
    with pytest.raises(KeyError):  # NotFoundError is a KeyError
        store.rename_conversation(999, "x")


def test_incomplete_message_survives_reopen(store_factory: Callable[[], ConversationStore]) -> None:
    store = store_factory()
    conv = store.create_conversation()
    store.add_message(conv.id, "user", "hello")
    partial = store.add_message(conv.id, "assistant", "", complete=False)
    store.update_message(partial.id, "Hel", complete=False)
    store.close()
    reopened = store_factory()
    last = reopened.messages(conv.id)[-1]
    assert (last.id, last.text, last.complete) == (partial.id, "Hel", False)
    reopened.update_message(partial.id, "Hello!", complete=True, stats={"tokens": 2})
    final = reopened.get_message(partial.id)
    assert (final.text, final.complete, final.stats) == ("Hello!", True, {"tokens": 2})
    # stats=None keeps what was stored.
    reopened.update_message(partial.id, "Hello!!", complete=True)
    assert reopened.get_message(partial.id).stats == {"tokens": 2}


def test_list_is_newest_first_and_updates_reorder(store: ConversationStore) -> None:
    a = store.create_conversation("a")
    b = store.create_conversation("b")
    c = store.create_conversation("c")
    assert [x.title for x in store.list_conversations()] == ["c", "b", "a"]
    store.add_message(a.id, "user", "bump")
    assert [x.id for x in store.list_conversations()] == [a.id, c.id, b.id]


def test_search_titles_and_messages_case_insensitive(store: ConversationStore) -> None:
    holiday = store.create_conversation("Holiday photos")
    receipt = store.create_conversation("scan")
    store.add_message(receipt.id, "user", "Read this RECEIPT please")
    unicode_conv = store.create_conversation("ÉCOLE notes")
    chinese = store.create_conversation("")
    store.add_message(chinese.id, "assistant", "这是一只猫")
    assert [c.id for c in store.list_conversations("holiday")] == [holiday.id]
    assert [c.id for c in store.list_conversations("receipt")] == [receipt.id]
    assert [c.id for c in store.list_conversations("école")] == [unicode_conv.id]
    assert [c.id for c in store.list_conversations("猫")] == [chinese.id]
    assert store.list_conversations("nothing like this") == []
    assert store.list_conversations("100%") == []  # LIKE wildcards are not special
    assert len(store.list_conversations("  ")) == 4
    store.delete_conversation(receipt.id)
    assert store.list_conversations("receipt") == []


def test_delete_messages_from(store: ConversationStore) -> None:
    conv = store.create_conversation()
    other = store.create_conversation()
    ids = [store.add_message(conv.id, r, f"m{i}").id for i, r in enumerate(["user", "assistant"] * 3)]
    keep_other = store.add_message(other.id, "user", "elsewhere")
    assert store.delete_messages_from(conv.id, ids[3]) == 3
    assert [m.id for m in store.messages(conv.id)] == ids[:3]
    assert [m.id for m in store.messages(other.id)] == [keep_other.id]
    with pytest.raises(NotFoundError):
        store.delete_messages_from(conv.id, keep_other.id)
    assert [m.id for m in store.messages(other.id)] == [keep_other.id]


def test_soft_delete_restore_and_purge(store: ConversationStore) -> None:
    shared = png_bytes(3, 3, (1, 2, 3))
    only_doomed = png_bytes(4, 4, (9, 9, 9))
    only_trimmed = jpeg_bytes(6, 6)
    keep = store.create_conversation("keep")
    doomed = store.create_conversation("doomed")
    kept_msg = store.add_message(keep.id, "user", "k", attachments=[(shared, "s.png")])
    trimmed = store.add_message(keep.id, "user", "t", attachments=[(only_trimmed, "t.jpg")])
    doomed_msg = store.add_message(
        doomed.id, "user", "d", attachments=[(shared, "s.png"), (only_doomed, "d.png")]
    )

    store.delete_conversation(doomed.id)
    assert [c.id for c in store.list_conversations()] == [keep.id]
    assert [c.id for c in store.list_deleted()] == [doomed.id]
    assert store.get_conversation(doomed.id).deleted_at is not None
    store.restore_conversation(doomed.id)
    assert {c.id for c in store.list_conversations()} == {keep.id, doomed.id}
    assert store.get_conversation(doomed.id).deleted_at is None

    store.delete_conversation(doomed.id)
    store.delete_messages_from(keep.id, trimmed.id)
    assert store.purge_deleted().conversations == 1
    with pytest.raises(NotFoundError):
        store.get_conversation(doomed.id)
    with pytest.raises(NotFoundError):
        store.restore_conversation(doomed.id)
    assert kept_msg.attachments[0].path.exists()
    assert not doomed_msg.attachments[1].path.exists()
    assert not trimmed.attachments[0].path.exists()
    assert [p.name for p in store.attachments_dir.iterdir()] == [kept_msg.attachments[0].path.name]
    assert store.messages(doomed.id) == []
    assert store.connection.execute("SELECT count(*) FROM messages").fetchone()[0] == 1
    assert store.connection.execute("PRAGMA foreign_key_check").fetchall() == []
    # Re-adding a purged image stores the file again.
    again = store.add_message(keep.id, "user", "again", attachments=[(only_doomed, "d.png")])
    assert again.attachments[0].path.read_bytes() == only_doomed


def test_rename_and_auto_title(store: ConversationStore) -> None:
    conv = store.create_conversation()
    long_text = "Please describe   everything you can see in this picture, in detail"
    title = store.auto_title(conv.id, long_text)
    assert title == store.get_conversation(conv.id).title
    assert len(title) <= 40 and title.endswith("…") and "  " not in title
    assert title.startswith("Please describe everything")
    assert store.auto_title(conv.id, "short") == "short"
    assert store.auto_title(conv.id, "   ") == "short"  # blank text keeps the title
    store.rename_conversation(conv.id, "Mine")
    assert store.auto_title(conv.id, "something else") == "Mine"
    assert store.get_conversation(conv.id).title == "Mine"
    cjk = store.create_conversation()
    assert store.auto_title(cjk.id, "猫" * 60) == "猫" * 39 + "…"


def test_store_usable_from_worker_thread(store: ConversationStore) -> None:
    import threading

    conv = store.create_conversation()
    msg = store.add_message(conv.id, "assistant", "", complete=False)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for i in range(50):
                store.update_message(msg.id, "x" * i, complete=False)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    for _ in range(50):
        store.list_conversations("x")
    worker.join()
    assert errors == []
    assert store.get_message(msg.id).text == "x" * 49


def test_closed_store_raises(store: ConversationStore) -> None:
    store.close()
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.list_conversations()


def test_purge_sweeps_files_left_by_a_crash(store: ConversationStore) -> None:
    # A crash after writing an attachment file but before the commit leaves a file no row uses.
    stray = store.attachments_dir / ("ab" * 32 + ".png")
    stray.write_bytes(png_bytes())
    leftover_tmp = store.attachments_dir / (".x.png.123.tmp")
    leftover_tmp.write_bytes(b"partial")
    unrelated = store.attachments_dir / "README.txt"
    unrelated.write_text("not ours", encoding="utf-8")
    conv = store.create_conversation()
    kept = store.add_message(conv.id, "user", "k", attachments=[(png_bytes(2, 2), "k.png")])
    assert store.purge_deleted().conversations == 0
    assert not stray.exists() and not leftover_tmp.exists()
    assert unrelated.exists() and kept.attachments[0].path.exists()


def test_failed_add_message_writes_nothing(store: ConversationStore) -> None:
    conv = store.create_conversation()
    with pytest.raises(ValueError, match="JSON"):
        store.add_message(conv.id, "assistant", "x", stats={"bad": object()})
    with pytest.raises(ValueError, match="not a readable image"):
        store.add_message(conv.id, "user", "x", attachments=[(png_bytes(), "ok.png"), (b"junk", "bad.png")])
    assert store.messages(conv.id) == []
    assert store.connection.execute("SELECT count(*) FROM attachments").fetchone()[0] == 0


def _add_within(store: ConversationStore, conv_id: int, path: Path, seconds: float) -> BaseException | None:
    """Attach ``path``; the error it raised, failing the test if it took longer than ``seconds`` (a hang)."""
    outcome: list[BaseException | None] = []

    def attach() -> None:
        try:
            store.add_message(conv_id, "user", "look", attachments=[path])
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=attach, daemon=True)  # a hung read must not hang the test run too
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"attaching {path} did not return within {seconds} s"
    return outcome[0]


@pytest.mark.parametrize(("kind", "phrase"), [("fifo", "a named pipe (FIFO)"), ("zero", "a device"),
                                              ("folder", "a folder")])
def test_attaching_a_pipe_a_device_or_a_folder_fails_fast_and_writes_nothing(
    store: ConversationStore, tmp_path: Path, kind: str, phrase: str
) -> None:
    if kind == "fifo":
        path = tmp_path / "photo.png"
        os.mkfifo(path)  # reading it would wait forever for a writer
    elif kind == "zero":
        path = Path("/dev/zero")  # reading it would never end, until memory runs out
    else:
        path = tmp_path / "album.png"
        path.mkdir()
    conv = store.create_conversation()
    error = _add_within(store, conv.id, path, seconds=10)
    assert isinstance(error, ImageError) and isinstance(error, InputError)
    assert str(error) == f"Cannot use the image {path}: it is {phrase}, not an image file."
    assert store.messages(conv.id) == []
    assert not store.attachments_dir.exists() or list(store.attachments_dir.iterdir()) == []


def test_attachment_over_the_byte_limit_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "huge.png"
    with big.open("wb") as f:  # sparse: 3 GB that take no disk and would take 3 GB of memory to read
        f.write(png_bytes())
        f.truncate(3_000_000_000)
    with pytest.raises(ImageError, match="3.0 GB"):
        store_files.read_image_bytes(big)
    small = tmp_path / "small.png"
    small.write_bytes(png_bytes())
    assert store_files.read_image_bytes(small).data == png_bytes()
