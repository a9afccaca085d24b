"""Export a conversation from the store to Markdown (with its images) or to JSON, and import JSON back."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .store import ConversationStore
from .store_files import write_atomically
from .store_models import Conversation, StoredMessage
from .store_versions import MessageVersion

JSON_FORMAT = "visiondesk.conversation"
JSON_VERSION = 1
# The words a Markdown export is written with; a user interface passes its own language's (same keys).
EXPORT_WORDS = {"user": "You", "assistant": "Assistant", "system": "System", "model": "Model: %1",
                "incomplete": "(incomplete answer)", "untitled": "Conversation %1",
                "versions": "Other versions of this answer (%1)"}
_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f<>:"/\\|?*]+')
_RESERVED_WINDOWS = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


def safe_filename(title: str, fallback: str) -> str:
    """Turn a conversation title into a file name that is valid on Windows, macOS and Linux."""
    name = _UNSAFE_FILENAME.sub("_", " ".join(title.split())).strip(" .")[:100].rstrip(" .")
    if not name or name.upper() in _RESERVED_WINDOWS:
        name = fallback
    return name


def _escape_alt(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def write_markdown(conversation: Conversation, messages: Sequence[StoredMessage], folder: Path,
                   words: Mapping[str, str] | None = None,
                   versions: Mapping[int, Sequence[MessageVersion]] | None = None) -> Path:
    """Write ``folder/<title>.md`` plus ``folder/images/`` holding the referenced attachments.

    Image links are relative (``images/<sha256><ext>``), so the folder can be moved or zipped. ``words``
    replaces the headings of ``EXPORT_WORDS`` (a translation); ``versions``: the answers' other versions, by
    message id, written after each answer in a folded block. Returns the path of the Markdown file.
    """
    w = {**EXPORT_WORDS, **(words or {})}
    folder = Path(folder)
    images = folder / "images"
    folder.mkdir(parents=True, exist_ok=True)
    title = conversation.title or w["untitled"].replace("%1", str(conversation.id))
    lines = [f"# {title}", ""]
    if conversation.model:
        lines += ["*" + w["model"].replace("%1", Path(conversation.model).name) + "*", ""]
    for message in messages:
        lines += [f"## {w.get(message.role, message.role.title())}", ""]
        if message.text:
            lines += [message.text.rstrip(), ""]
        for attachment in message.attachments:
            images.mkdir(exist_ok=True)
            target = images / attachment.path.name
            if not target.exists():
                shutil.copyfile(attachment.path, target)
            lines += [f"![{_escape_alt(attachment.name)}](images/{attachment.path.name})", ""]
        if not message.complete:
            lines += ["*" + w["incomplete"] + "*", ""]
        others = (versions or {}).get(message.id, ())
        if others:
            lines += ["<details><summary>" + w["versions"].replace("%1", str(len(others))) + "</summary>", ""]
            for version in others:
                lines += [version.text.rstrip(), "", "---", ""]
            lines += ["</details>", ""]
    path = folder / f"{safe_filename(title, f'conversation-{conversation.id}')}.md"
    write_atomically(path, "\n".join(lines).encode("utf-8"))
    return path


def export_markdown(store: ConversationStore, conversation_id: int, folder: Path,
                    words: Mapping[str, str] | None = None) -> Path:
    """Write the conversation as ``<title>.md`` and an ``images/`` folder into ``folder``; return the .md path."""
    return write_markdown(store.get_conversation(conversation_id), store.messages(conversation_id), folder, words,
                          store.kept_versions(conversation_id))


def export_json(store: ConversationStore, conversation_id: int, path: Path) -> Path:
    """Write the conversation as JSON to ``path``; return it."""
    return write_json(store.get_conversation(conversation_id), store.messages(conversation_id), path,
                      store.kept_versions(conversation_id))


def conversation_to_dict(conversation: Conversation, messages: Sequence[StoredMessage],
                         versions: Mapping[int, Sequence[MessageVersion]] | None = None) -> dict[str, Any]:
    """The JSON-ready form of a conversation (attachments by name and SHA-256, not bytes).

    An answer with other versions lists them under ``versions`` (oldest first; not read back by ``import_json``).
    """
    kept = versions or {}
    return {
        "format": JSON_FORMAT,
        "version": JSON_VERSION,
        "conversation": {
            "id": conversation.id,
            "title": conversation.title,
            "model": conversation.model,
            "created_at": conversation.created_at,
            "updated_at": conversation.updated_at,
        },
        "messages": [
            {
                "id": m.id,
                "role": m.role,
                "text": m.text,
                "complete": m.complete,
                "created_at": m.created_at,
                "stats": m.stats,
                "attachments": [
                    {"name": a.name, "sha256": a.sha256, "width": a.width, "height": a.height}
                    for a in m.attachments
                ],
                **({"versions": [{"text": v.text, "stats": v.stats, "created_at": v.created_at}
                                 for v in kept[m.id]]} if kept.get(m.id) else {}),
            }
            for m in messages
        ],
    }


def write_json(conversation: Conversation, messages: Sequence[StoredMessage], path: Path,
               versions: Mapping[int, Sequence[MessageVersion]] | None = None) -> Path:
    """Write the conversation as UTF-8 JSON to ``path`` (atomically); return ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(conversation_to_dict(conversation, messages, versions), ensure_ascii=False, indent=2)
    write_atomically(path, data.encode("utf-8"))
    return path


def read_json(path: Path) -> dict[str, Any]:
    """Read and check a file written by ``write_json``; raises ``ValueError`` if it is not one."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("format") != JSON_FORMAT:
        raise ValueError(f"{path} is not a VisionDesk conversation export")
    if data.get("version") != JSON_VERSION:
        raise ValueError(f"{path} has unsupported export version {data.get('version')!r}")
    if not isinstance(data.get("conversation"), dict) or not isinstance(data.get("messages"), list):
        raise ValueError(f"{path} is missing the conversation or its messages")
    return data


def import_json(store: ConversationStore, path: Path) -> Conversation:
    """Recreate a conversation in ``store`` from a ``write_json`` file; return it.

    The new conversation stays soft-deleted until every message is in, so a crash halfway leaves
    nothing visible (``purge_deleted`` removes the remains). Raises ``ValueError`` if the file is
    not an export or one of its images is not in the store.
    """
    data = read_json(path)
    header = data["conversation"]
    images: list[list[tuple[bytes, str]]] = []
    for message in data["messages"]:
        sources = []
        for attachment in message.get("attachments", []):
            stored = store.attachment_path(str(attachment["sha256"]))
            if stored is None:
                raise ValueError(
                    f"image {attachment.get('name')!r} ({attachment['sha256']}) is not in the store"
                )
            sources.append((stored.read_bytes(), str(attachment["name"])))
        images.append(sources)
    conversation = store.create_conversation(str(header.get("title") or ""), header.get("model"))
    store.delete_conversation(conversation.id)
    for message, sources in zip(data["messages"], images, strict=True):
        store.add_message(
            conversation.id,
            str(message["role"]),
            str(message["text"]),
            sources,
            complete=bool(message["complete"]),
            stats=message.get("stats") or {},
        )
    store.restore_conversation(conversation.id)
    return store.get_conversation(conversation.id)
