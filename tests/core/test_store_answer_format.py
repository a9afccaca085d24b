"""The answer format chosen per conversation (schema version 3): kept across reopening, added to older databases."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from visiondesk.core.store import ConversationStore
from visiondesk.core.store_models import NotFoundError
from visiondesk.core.store_schema import MIGRATIONS, SCHEMA_VERSION


def test_answer_format_is_kept_per_conversation(store_factory: Callable[[], ConversationStore]) -> None:
    store = store_factory()
    a, b = store.create_conversation("a"), store.create_conversation("b")
    assert store.answer_format(a.id) == "" == store.answer_format(b.id)
    before = store.get_conversation(a.id).updated_at
    store.set_answer_format(a.id, "preset:receipt")
    assert store.get_conversation(a.id).updated_at == before, "choosing a format does not reorder the list"
    store.close()
    reopened = store_factory()
    assert reopened.answer_format(a.id) == "preset:receipt" and reopened.answer_format(b.id) == ""
    with pytest.raises(NotFoundError):
        reopened.answer_format(9999)


def test_a_version_2_database_gains_the_column(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    for step in MIGRATIONS[:2]:
        conn.executescript(step)
    conn.execute("PRAGMA user_version=2")
    conn.execute("INSERT INTO conversations (title, created_at, updated_at) VALUES ('old', 1, 1)")
    conn.commit()
    conn.close()
    store = ConversationStore(db, tmp_path / "attachments")
    try:
        (old,) = store.list_conversations()
        assert old.title == "old" and store.answer_format(old.id) == ""
        with store.connection as c:
            assert c.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 3
    finally:
        store.close()
