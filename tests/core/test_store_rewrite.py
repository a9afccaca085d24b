"""A database written before ``secure_delete`` was on everywhere is rewritten once when opened, so words of
messages deleted back then do not stay in its free pages; a new database, or one already rewritten, is not."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from visiondesk.core import store_schema
from visiondesk.core.store import ConversationStore
from visiondesk.core.store_schema import MIGRATIONS, SCHEMA_VERSION, VACUUMED_FROM

MARK = b"the secret dosage was 40 mg"


def old_database(path: Path) -> None:
    """A version-4 database whose deleted message still lies in a free page (secure_delete off, as on macOS)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA secure_delete=OFF")
    for step in MIGRATIONS[:VACUUMED_FROM - 1]:
        conn.executescript(step)
    conn.execute(f"PRAGMA user_version={VACUUMED_FROM - 1}")
    conn.execute("INSERT INTO conversations (title, created_at, updated_at) VALUES ('kept', 1, 1)")
    conn.execute("INSERT INTO messages (conversation_id, role, text, created_at) VALUES (1, 'user', 'kept words', 1)")
    conn.execute("INSERT INTO messages (conversation_id, role, text, created_at) VALUES (1, 'user', ?, 1)",
                 (MARK.decode() + " " + "x" * 5000,))  # an overflow page of its own, freed by the delete
    conn.commit()
    conn.execute("DELETE FROM messages WHERE id = 2")
    conn.commit()
    conn.close()


def on_disk(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())


def test_an_old_database_loses_the_deleted_words_and_keeps_the_rest(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "old.db"
    old_database(db)
    assert MARK in on_disk(db)  # the premise: the words are still in the file
    with caplog.at_level(logging.INFO, "visiondesk.core.store_schema"):
        with ConversationStore(db, tmp_path / "attachments") as store:
            assert [m.text for m in store.messages(1)] == ["kept words"]
            assert MARK not in on_disk(db)
    assert sum("rewriting" in r.message for r in caplog.records) == 1
    caplog.clear()
    with caplog.at_level(logging.INFO, "visiondesk.core.store_schema"):
        ConversationStore(db, tmp_path / "attachments").close()  # once is enough
    assert not any("rewriting" in r.message for r in caplog.records)


def test_a_new_database_is_not_rewritten(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, "visiondesk.core.store_schema"):
        ConversationStore(tmp_path / "new.db", tmp_path / "attachments").close()
    assert not any("rewriting" in r.message for r in caplog.records)


def test_a_rewrite_that_fails_is_tried_again_at_the_next_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    """An injected fault (a full disk cannot be made here): VACUUM fails once. The database stays usable below
    version 5 and the next start rewrites it."""
    db = tmp_path / "old.db"
    old_database(db)

    class FullDisk(sqlite3.Connection):
        def execute(self, sql: str, *args: object) -> sqlite3.Cursor:  # type: ignore[override]
            if sql == "VACUUM":
                raise sqlite3.OperationalError("database or disk is full")
            return super().execute(sql, *args)

    real_connect = sqlite3.connect
    monkeypatch.setattr(store_schema.sqlite3, "connect", lambda *a, **kw: real_connect(*a, factory=FullDisk, **kw))
    with caplog.at_level(logging.WARNING, "visiondesk.core.store_schema"):
        with ConversationStore(db, tmp_path / "attachments") as store:
            assert [m.text for m in store.messages(1)] == ["kept words"]
            assert store.connection.execute("PRAGMA user_version").fetchone()[0] == VACUUMED_FROM - 1
    assert any("next start tries again" in r.message for r in caplog.records)
    assert MARK in on_disk(db)
    monkeypatch.setattr(store_schema.sqlite3, "connect", real_connect)
    with ConversationStore(db, tmp_path / "attachments") as store:
        assert store.connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert MARK not in on_disk(db)
