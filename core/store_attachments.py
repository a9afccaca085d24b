"""SQL for image attachments: linking them to messages, loading them, dropping orphans.

Functions take an open connection; the caller (``ConversationStore``) owns the lock and the
transaction.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Collection, Sequence
from pathlib import Path

from visiondesk.engine.requests import ImageAttachment

from . import store_files
from .store_files import ImageBytes

_SELECT = (
    "SELECT ma.message_id, ma.name, a.sha256, a.file_name, a.width, a.height, a.digest"
    " FROM message_attachments ma JOIN attachments a ON a.sha256 = ma.sha256"
    " JOIN messages m ON m.id = ma.message_id"
)


def keep_image(conn: sqlite3.Connection, folder: Path, image: ImageAttachment, data: bytes | None) -> ImageAttachment:
    """Store an identified image's file once (by hash) with its pixel digest; the attachment on the stored copy.

    ``data`` holds the bytes when the caller has them (a paste), otherwise they are read from ``image.path``.
    """
    row = conn.execute("SELECT file_name, digest FROM attachments WHERE sha256 = ?", (image.sha256,)).fetchone()
    if row is not None and (folder / str(row["file_name"])).is_file():
        if image.digest and row["digest"] != image.digest:
            conn.execute("UPDATE attachments SET digest = ?, width = ?, height = ? WHERE sha256 = ?",
                         (image.digest, image.width, image.height, image.sha256))
        return dataclasses.replace(image, path=folder / str(row["file_name"]))
    raw = store_files.read_image_bytes((data, image.name) if data is not None else image.path)
    if raw.sha256 != image.sha256:
        raise ValueError(f"attachment {image.name!r} changed since it was attached; attach it again")
    file_name = raw.file_name if row is None else str(row["file_name"])
    # The file is written before the commit: if the commit never happens it is an orphan that
    # purge_deleted() sweeps, never a row pointing at a missing file.
    path = store_files.ensure_file(folder, raw, file_name)
    conn.execute("INSERT OR REPLACE INTO attachments (sha256, file_name, width, height, digest) VALUES (?, ?, ?, ?, ?)",
                 (image.sha256, file_name, image.width, image.height, image.digest))
    return dataclasses.replace(image, path=path)


def _keep_bytes(conn: sqlite3.Connection, folder: Path, raw: ImageBytes) -> ImageAttachment:
    """Store a not yet identified image (its digest unknown, its size from the file's header)."""
    row = conn.execute("SELECT file_name, width, height, digest FROM attachments WHERE sha256 = ?",
                       (raw.sha256,)).fetchone()
    file_name = raw.file_name if row is None else str(row["file_name"])
    path = store_files.ensure_file(folder, raw, file_name)
    if row is None:
        conn.execute("INSERT INTO attachments (sha256, file_name, width, height, digest) VALUES (?, ?, ?, ?, '')",
                     (raw.sha256, file_name, raw.width, raw.height))
        return ImageAttachment(raw.sha256, "", raw.width, raw.height, raw.name, path)
    return ImageAttachment(raw.sha256, str(row["digest"]), int(row["width"]), int(row["height"]), raw.name, path)


def link_images(
    conn: sqlite3.Connection, folder: Path, message_id: int, images: Sequence[ImageAttachment | ImageBytes]
) -> tuple[ImageAttachment, ...]:
    """Attach the images to the message, in order, storing any not stored yet (once per hash)."""
    stored: list[ImageAttachment] = []
    for position, image in enumerate(images):
        kept = keep_image(conn, folder, image, None) if isinstance(image, ImageAttachment) else \
            _keep_bytes(conn, folder, image)
        conn.execute(
            "INSERT INTO message_attachments (message_id, position, sha256, name) VALUES (?, ?, ?, ?)",
            (message_id, position, kept.sha256, kept.name),
        )
        stored.append(kept)
    return tuple(stored)


def attachments_by_message(
    conn: sqlite3.Connection,
    folder: Path,
    *,
    conversation_id: int | None = None,
    message_id: int | None = None,
) -> dict[int, tuple[ImageAttachment, ...]]:
    """Attachments of one conversation's messages (or of one message), keyed by message id."""
    if message_id is not None:
        rows = conn.execute(_SELECT + " WHERE ma.message_id = ? ORDER BY ma.position", (message_id,))
    else:
        rows = conn.execute(
            _SELECT + " WHERE m.conversation_id = ? ORDER BY ma.message_id, ma.position", (conversation_id,)
        )
    result: dict[int, list[ImageAttachment]] = {}
    for row in rows:
        attachment = ImageAttachment(
            sha256=str(row["sha256"]),
            digest=str(row["digest"]),
            width=int(row["width"]),
            height=int(row["height"]),
            name=str(row["name"]),
            path=folder / str(row["file_name"]),
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


@dataclasses.dataclass(frozen=True)
class Dropped:
    """What ``drop_unreferenced`` left and took."""

    kept_files: list[str]  # the file names still referenced
    digests: list[str]  # pixel digests no row has any more: what was derived from them (pixels, embeddings) can go
    unidentified: list[str]  # file names of dropped images whose check never recorded a digest


def drop_unreferenced(conn: sqlite3.Connection, spare: Collection[str] = ()) -> Dropped:
    """Delete attachment rows no message uses (but those in ``spare``)."""
    unused = [(str(sha), str(digest), str(name)) for sha, digest, name in conn.execute(
        "SELECT sha256, digest, file_name FROM attachments"
        " WHERE sha256 NOT IN (SELECT sha256 FROM message_attachments)") if sha not in spare]
    conn.executemany("DELETE FROM attachments WHERE sha256 = ?", [(sha,) for sha, _, _ in unused])
    still = {str(row[0]) for row in conn.execute("SELECT digest FROM attachments")}
    kept = [str(row[0]) for row in conn.execute("SELECT file_name FROM attachments")]
    return Dropped(kept, sorted({digest for _, digest, _ in unused if digest and digest not in still}),
                   [name for _, digest, name in unused if not digest and name not in kept])
