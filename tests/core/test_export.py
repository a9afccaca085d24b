from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from visiondesk.core.export import export_json, export_markdown, import_json, read_json, safe_filename
from visiondesk.core.store import ConversationStore

from .images import jpeg_bytes, png_bytes


def _populate(store: ConversationStore) -> int:
    conv = store.create_conversation("Cats / dogs: a comparison?", model="/models/qwen-vl.gguf")
    store.add_message(conv.id, "system", "Be helpful.")
    store.add_message(
        conv.id,
        "user",
        "Compare these [two] images",
        attachments=[(png_bytes(), "cat.png"), (jpeg_bytes(), "dog")],
    )
    store.add_message(conv.id, "assistant", "The **cat** is red.", stats={"tokens": 5, "tokens_per_s": 9.5})
    store.add_message(conv.id, "user", "And this one?", attachments=[(png_bytes(), "cat again.png")])
    store.add_message(conv.id, "assistant", "It is the sa", complete=False)
    return conv.id


def test_export_markdown_links_resolve(store: ConversationStore, tmp_path: Path) -> None:
    conv_id = _populate(store)
    out = tmp_path / "export"
    md = export_markdown(store, conv_id, out)
    assert md.parent == out and md.suffix == ".md"
    assert md.name == "Cats _ dogs_ a comparison_.md"
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# Cats / dogs: a comparison?\n")
    assert "The **cat** is red." in text
    assert "*(incomplete answer)*" in text
    links = re.findall(r"!\[((?:\\.|[^\]])*)\]\(([^)]+)\)", text)
    assert [alt for alt, _ in links] == ["cat.png", "dog", "cat again.png"]
    for _, target in links:
        assert not Path(target).is_absolute()
        assert target.startswith("images/")
        assert (md.parent / target).is_file()
    messages = store.messages(conv_id)
    exported = {p.name: p.read_bytes() for p in (out / "images").iterdir()}
    originals = {a.path.name: a.path.read_bytes() for m in messages for a in m.attachments}
    assert exported == originals and len(exported) == 2  # the repeated cat is exported once
    assert "\\[two\\]" not in text and "[two]" in text  # message text is kept verbatim


def test_export_markdown_untitled_uses_fallback(store: ConversationStore, tmp_path: Path) -> None:
    conv = store.create_conversation()
    store.add_message(conv.id, "user", "hi")
    md = export_markdown(store, conv.id, tmp_path)
    assert md.name == f"Conversation {conv.id}.md"
    assert not (tmp_path / "images").exists()


@pytest.mark.parametrize(
    ("title", "expected"), [("CON", "fb"), ("  ..  ", "fb"), ("a\\b\n", "a_b"), ("猫", "猫")]
)
def test_safe_filename(title: str, expected: str) -> None:
    assert safe_filename(title, "fb") == expected


def test_export_json_round_trips(store: ConversationStore, tmp_path: Path) -> None:
    conv_id = _populate(store)
    path = export_json(store, conv_id, tmp_path / "out" / "chat.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data == read_json(path)
    assert data["conversation"]["title"] == "Cats / dogs: a comparison?"
    original = store.messages(conv_id)
    assert [(m["role"], m["text"], m["complete"], m["stats"]) for m in data["messages"]] == [
        (m.role, m.text, m.complete, m.stats) for m in original
    ]
    assert data["messages"][1]["attachments"] == [
        {"name": a.name, "sha256": a.sha256, "width": a.width, "height": a.height}
        for a in original[1].attachments
    ]
    assert data["messages"][4]["complete"] is False

    copy = import_json(store, path)
    assert copy.id != conv_id and copy.title == "Cats / dogs: a comparison?"
    assert copy.model == "/models/qwen-vl.gguf"
    assert copy.deleted_at is None
    imported = store.messages(copy.id)
    assert [(m.role, m.text, m.complete, m.stats, m.attachments) for m in imported] == [
        (m.role, m.text, m.complete, m.stats, m.attachments) for m in original
    ]
    # Exporting the copy gives the same document apart from ids and timestamps.
    again = json.loads(export_json(store, copy.id, tmp_path / "again.json").read_text(encoding="utf-8"))

    def strip(doc: dict) -> list:
        return [{k: v for k, v in m.items() if k not in ("id", "created_at")} for m in doc["messages"]]

    assert strip(again) == strip(data)


def test_import_rejects_foreign_files(store: ConversationStore, tmp_path: Path) -> None:
    bogus = tmp_path / "x.json"
    bogus.write_text('{"hello": 1}', encoding="utf-8")
    with pytest.raises(ValueError, match="not a VisionDesk"):
        import_json(store, bogus)
    conv_id = _populate(store)
    path = export_json(store, conv_id, tmp_path / "chat.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["messages"][1]["attachments"][0]["sha256"] = "0" * 64
    path.write_text(json.dumps(data), encoding="utf-8")
    before = len(store.list_conversations())
    with pytest.raises(ValueError, match="not in the store"):
        import_json(store, path)
    assert len(store.list_conversations()) == before
