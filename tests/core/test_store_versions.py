"""Earlier versions of an answer (schema version 4): kept on regenerate, flipped, deleted with the message,
exported, and added to older databases."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from visiondesk.core.export import export_json, export_markdown
from visiondesk.core.store import ConversationStore
from visiondesk.core.store_models import NotFoundError
from visiondesk.core.store_schema import MIGRATIONS, SCHEMA_VERSION


def test_versions_are_kept_flipped_and_survive_reopening(store_factory: Callable[[], ConversationStore]) -> None:
    store = store_factory()
    conv = store.create_conversation("c").id
    store.add_message(conv, "user", "q")
    answer = store.add_message(conv, "assistant", "first", stats={"completion_tokens": 3})
    assert store.versions(conv) == {}
    assert store.new_version(answer.id) == 1
    renewed = store.get_message(answer.id)
    assert renewed.text == "" and not renewed.complete
    store.update_message(answer.id, "second", complete=True, stats={"completion_tokens": 5})
    assert store.versions(conv) == {answer.id: (1, [0, 1])}
    store.show_version(answer.id, 0)
    shown = store.get_message(answer.id)
    assert shown.text == "first" and shown.stats == {"completion_tokens": 3} and shown.complete
    assert [v.text for v in store.kept_versions(conv)[answer.id]] == ["second"]
    with pytest.raises(NotFoundError):
        store.show_version(answer.id, 7)
    store.close()
    reopened = store_factory()
    assert reopened.versions(conv) == {answer.id: (0, [0, 1])}
    assert reopened.new_version(answer.id) == 2 and reopened.versions(conv) == {answer.id: (2, [0, 1, 2])}
    reopened.delete_messages_from(conv, answer.id)
    assert reopened.versions(conv) == {} and reopened.kept_versions(conv) == {}


def test_export_writes_every_version(store_factory: Callable[[], ConversationStore], tmp_path: Path) -> None:
    store = store_factory()
    conv = store.create_conversation("c").id
    store.add_message(conv, "user", "q")
    answer = store.add_message(conv, "assistant", "the old answer")
    store.new_version(answer.id)
    store.update_message(answer.id, "the new answer", complete=True)
    data = json.loads(export_json(store, conv, tmp_path / "c.json").read_text(encoding="utf-8"))
    assert data["messages"][1]["text"] == "the new answer"
    assert [v["text"] for v in data["messages"][1]["versions"]] == ["the old answer"]
    assert "versions" not in data["messages"][0]
    md = export_markdown(store, conv, tmp_path / "md").read_text(encoding="utf-8")
    assert md.index("the new answer") < md.index("Other versions of this answer (1)") < md.index("the old answer")


def test_a_version_3_database_gains_the_versions(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    for step in MIGRATIONS[:3]:
        conn.executescript(step)
    conn.execute("PRAGMA user_version=3")
    conn.execute("INSERT INTO conversations (title, created_at, updated_at) VALUES ('old', 1, 1)")
    conn.execute("INSERT INTO messages (conversation_id, role, text, created_at) VALUES (1, 'assistant', 'kept', 1)")
    conn.commit()
    conn.close()
    store = ConversationStore(db, tmp_path / "attachments")
    try:
        assert SCHEMA_VERSION >= 4
        assert store.new_version(1) == 1 and [v.text for v in store.kept_versions(1)[1]] == ["kept"]
    finally:
        store.close()
