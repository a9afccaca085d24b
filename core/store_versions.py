"""Earlier versions of an answer: regenerating keeps the old text, and the user flips between versions.

The ``messages`` row holds the version shown (its position in ``messages.version``); ``message_versions`` holds
every other one, by position (0 the first answer). Flipping swaps the shown version with a kept one in one
transaction, so the message id, and everything that refers to it, never changes.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from .store_models import NotFoundError


@dataclass(frozen=True, slots=True)
class MessageVersion:
    """One version of an answer that is not the one shown."""

    position: int
    text: str
    stats: dict[str, Any]
    created_at: float


def _shown(conn: sqlite3.Connection, message_id: int) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT text, stats, version, created_at FROM messages WHERE id = ?", (message_id,)).fetchone()
    if row is None:
        raise NotFoundError(f"no message with id {message_id}")
    return row


def _keep_shown(conn: sqlite3.Connection, message_id: int, row: sqlite3.Row) -> None:
    conn.execute("INSERT INTO message_versions (message_id, position, text, stats, created_at) VALUES (?, ?, ?, ?, ?)",
                 (message_id, row["version"], row["text"], row["stats"], row["created_at"]))


def start_new(conn: sqlite3.Connection, message_id: int, now: float) -> int:
    """Keep the shown version and make the message an empty, incomplete new one; return its position."""
    row = _shown(conn, message_id)
    _keep_shown(conn, message_id, row)
    (last,) = conn.execute("SELECT MAX(position) FROM message_versions WHERE message_id = ?", (message_id,)).fetchone()
    position = max(int(last), int(row["version"])) + 1
    conn.execute("UPDATE messages SET text = '', stats = '{}', complete = 0, version = ?, created_at = ? WHERE id = ?",
                 (position, now, message_id))
    return position


def show(conn: sqlite3.Connection, message_id: int, position: int) -> None:
    """Show the version at ``position`` (the one shown until now is kept); raises ``NotFoundError``."""
    row = _shown(conn, message_id)
    if int(row["version"]) == position:
        return
    wanted = conn.execute("SELECT text, stats, created_at FROM message_versions WHERE message_id = ? AND position = ?",
                          (message_id, position)).fetchone()
    if wanted is None:
        raise NotFoundError(f"message {message_id} has no version {position}")
    _keep_shown(conn, message_id, row)
    conn.execute("DELETE FROM message_versions WHERE message_id = ? AND position = ?", (message_id, position))
    conn.execute("UPDATE messages SET text = ?, stats = ?, complete = 1, version = ?, created_at = ? WHERE id = ?",
                 (wanted["text"], wanted["stats"], position, wanted["created_at"], message_id))


def positions(conn: sqlite3.Connection, conversation_id: int) -> dict[int, tuple[int, list[int]]]:
    """Messages of the conversation that have other versions: id -> (position shown, every position, sorted)."""
    out: dict[int, tuple[int, list[int]]] = {}
    rows = conn.execute(
        "SELECT v.message_id, v.position, m.version FROM message_versions v JOIN messages m ON m.id = v.message_id"
        " WHERE m.conversation_id = ? ORDER BY v.message_id, v.position", (conversation_id,))
    for message_id, position, shown in rows:
        out.setdefault(int(message_id), (int(shown), [int(shown)]))[1].append(int(position))
    for _shown_at, every in out.values():
        every.sort()
    return out


def kept(conn: sqlite3.Connection, conversation_id: int) -> dict[int, list[MessageVersion]]:
    """Every version not shown, by message id, oldest first (for export)."""
    out: dict[int, list[MessageVersion]] = {}
    rows = conn.execute(
        "SELECT v.* FROM message_versions v JOIN messages m ON m.id = v.message_id WHERE m.conversation_id = ?"
        " ORDER BY v.message_id, v.position", (conversation_id,))
    for row in rows:
        out.setdefault(int(row["message_id"]), []).append(
            MessageVersion(int(row["position"]), str(row["text"]), json.loads(row["stats"] or "{}"),
                           float(row["created_at"])))
    return out
