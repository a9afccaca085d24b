"""SQL for image attachments: linking them to messages, loading them, dropping orphans.

Functions take an open connection; the caller (``ConversationStore``) owns the lock and the
transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from . import store_files
from .store_files import PreparedImage
from .store_models import Attachment

_SELECT = (
    "SELECT ma.message_id, ma.name, a.sha256, a.file_name, a.width, a.height"
    " FROM message_attachments ma JOIN attachments a ON a.sha256 = ma.sha256"
    " JOIN messages m ON m.id = ma.message_id"
)


def link_images(
    conn: sqlite3.Connection, folder: Path, message_id: int, images: Sequence[PreparedImage]
) -> tuple[Attachment, ...]:
    """Store each image's file once (by hash) and attach the images to the message, in order."""
    stored: list[Attachment] = []
    for position, image in enumerate(images):
        row = conn.execute("SELECT file_name FROM attachments WHERE sha256 = ?", (image.sha256,)).fetchone()
        file_name = image.file_name if row is None else str(row["file_name"])
        # The file is written before the commit: if the commit never happens it is an orphan
        # that purge_deleted() sweeps, never a row pointing at a missing file.
        path = store_files.ensure_file(folder, image, file_name)
        if row is None:
            conn.execute(
                "INSERT INTO attachments (sha256, file_name, width, height) VALUES (?, ?, ?, ?)",
                (image.sha256, file_name, image.width, image.height),
            )
        conn.execute(
            "INSERT INTO message_attachments (message_id, position, sha256, name) VALUES (?, ?, ?, ?)",
            (message_id, position, image.sha256, image.name),
        )
        stored.append(Attachment(image.sha256, path, image.name, image.width, image.height))
    return tuple(stored)


def attachments_by_message(
    conn: sqlite3.Connection,
    folder: Path,
    *,
    conversation_id: int | None = None,
    message_id: int | None = None,
) -> dict[int, tuple[Attachment, ...]]:
    """Attachments of one conversation's messages (or of one message), keyed by message id."""
    if message_id is not None:
        rows = conn.execute(_SELECT + " WHERE ma.message_id = ? ORDER BY ma.position", (message_id,))
    else:
        rows = conn.execute(
            _SELECT + " WHERE m.conversation_id = ? ORDER BY ma.message_id, ma.position", (conversation_id,)
        )
    result: dict[int, list[Attachment]] = {}
    for row in rows:
        attachment = Attachment(
            sha256=str(row["sha256"]),
            path=folder / str(row["file_name"]),
            name=str(row["name"]),
            width=int(row["width"]),
            height=int(row["height"]),
        )
        result.setdefault(int(row["message_id"]), []).append(attachment)
    return {key: tuple(value) for key, value in result.items()}


def stored_file(conn: sqlite3.Connection, folder: Path, sha256: str) -> Path | None:
    """The file holding the image with this hash, or ``None`` if there is none."""
    row = conn.execute("SELECT file_name FROM attachments WHERE sha256 = ?", (sha256,)).fetchone()
    if row is None:
        return None
    path = folder / str(row["file_name"])
    return path if path.is_file() else None


def drop_unreferenced(conn: sqlite3.Connection) -> list[str]:
    """Delete attachment rows no message uses; return the file names still referenced."""
    conn.execute("DELETE FROM attachments WHERE sha256 NOT IN (SELECT sha256 FROM message_attachments)")
    return [str(row[0]) for row in conn.execute("SELECT file_name FROM attachments")]
