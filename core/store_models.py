"""Plain data types of the conversation store (no SQL beyond row conversion, no Qt)."""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from visiondesk.engine.requests import ImageAttachment

log = logging.getLogger(__name__)

ROLES = frozenset({"system", "user", "assistant"})
TITLE_LENGTH = 40


class NotFoundError(KeyError):
    """No conversation or message has the given id."""


@dataclass(frozen=True, slots=True)
class Conversation:
    """One chat, as listed in the sidebar."""

    id: int
    title: str
    created_at: float
    updated_at: float
    model: str | None
    deleted_at: float | None = None


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One message of a conversation; ``complete`` is False while (or if) an answer was cut off."""

    id: int
    conversation_id: int
    role: str
    text: str
    attachments: tuple[ImageAttachment, ...]  # ``path`` is the stored copy, ``name`` the original name
    complete: bool
    created_at: float
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Purged:
    """What ``purge_deleted`` removed for good."""

    conversations: int
    digests: tuple[str, ...]  # pixel digests of the images gone with them: their prepared pixels and embeddings


def make_title(text: str, limit: int = TITLE_LENGTH) -> str:
    """Turn the first user message into a one-line title of at most ``limit`` characters."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    # Prefer a word boundary, unless that throws away most of the title (e.g. CJK text).
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


def dump_stats(stats: dict[str, Any] | None) -> str:
    """Serialize message stats to JSON; raises ``ValueError`` if they cannot be."""
    try:
        return json.dumps(stats or {}, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"message stats must be JSON-serializable: {exc}") from exc


def conversation_from_row(row: sqlite3.Row) -> Conversation:
    """Build a ``Conversation`` from a ``conversations`` row."""
    return Conversation(
        id=int(row["id"]),
        title=str(row["title"]),
        created_at=float(row["created_at"]),
        updated_at=float(row["updated_at"]),
        model=row["model"],
        deleted_at=row["deleted_at"],
    )


def message_from_row(row: sqlite3.Row, attachments: tuple[ImageAttachment, ...]) -> StoredMessage:
    """Build a ``StoredMessage`` from a ``messages`` row and its attachments."""
    try:
        stats = json.loads(row["stats"] or "{}")
    except json.JSONDecodeError:
        log.warning("message %s has unreadable stats; ignoring them", row["id"])
        stats = {}
    return StoredMessage(
        id=int(row["id"]),
        conversation_id=int(row["conversation_id"]),
        role=str(row["role"]),
        text=str(row["text"]),
        attachments=attachments,
        complete=bool(row["complete"]),
        created_at=float(row["created_at"]),
        stats=stats if isinstance(stats, dict) else {},
    )
