"""Conversation history on SQLite: conversations, messages and their image attachments.

``ConversationStore`` is plain Python (no Qt). It is meant for the UI thread, but its one
connection is shared behind a lock, so a worker thread may use it too. Every write is exactly one
transaction, and the database runs in WAL mode, so killing the process at any moment leaves it
consistent with the last committed write.
"""

from __future__ import annotations

import collections
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from visiondesk.engine.attachments import attach_image
from visiondesk.engine.images import PreparedImage
from visiondesk.engine.pixel_cache import PixelCache
from visiondesk.engine.requests import ImageAttachment, ImageSource

from . import store_attachments, store_files, store_versions
from .store_files import AttachmentSource
from .store_models import (
    ROLES,
    Conversation,
    NotFoundError,
    Purged,
    StoredMessage,
    conversation_from_row,
    dump_stats,
    make_title,
    message_from_row,
)
from .store_schema import connect

__all__ = [
    "ROLES",
    "AttachmentSource",
    "Conversation",
    "ConversationStore",
    "NotFoundError",
    "Purged",
    "StoredMessage",
    "make_title",
]

log = logging.getLogger(__name__)


class ConversationStore:
    """Persistent conversations backed by one SQLite file and a folder of attachments."""

    def __init__(
        self, db_path: Path, attachments_dir: Path, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.db_path = Path(db_path)
        self.attachments_dir = Path(attachments_dir)
        self.attachments_dir.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._lock = threading.RLock()
        # Images stored by keep_image, counted once per keeping, once less per message sent with the kept copy and
        # per ``release``: a composer (its strip, a draft) may still hold those counted above 0 and send them any
        # moment, so purge_deleted spares them while this process runs. A new process starts with none.
        self._unsent: collections.Counter[str] = collections.Counter()
        self._conn: sqlite3.Connection | None = connect(self.db_path)

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database connection (idempotent)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> ConversationStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """The open connection; raises ``RuntimeError`` after ``close()``."""
        if self._conn is None:
            raise RuntimeError("ConversationStore is closed")
        return self._conn

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self.connection

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; rolled back entirely if anything inside raises."""
        with self._lock:
            conn = self.connection
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # -- conversations ---------------------------------------------------------------------------

    def create_conversation(self, title: str = "", model: str | None = None) -> Conversation:
        """Create an empty conversation and return it."""
        now = self._clock()
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO conversations (title, model, created_at, updated_at) VALUES (?, ?, ?, ?)",
                (title, model, now, now),
            )
            conversation_id = int(cursor.lastrowid or 0)
        return Conversation(conversation_id, title, now, now, model)

    def list_conversations(self, search: str | None = None) -> list[Conversation]:
        """Conversations not deleted, most recently updated first.

        ``search`` (case-insensitive) keeps those whose title or any message text contains it.
        """
        sql = "SELECT * FROM conversations c WHERE c.deleted_at IS NULL"
        params: list[object] = []
        needle = (search or "").strip().casefold()
        if needle:
            sql += (
                " AND (instr(vd_casefold(c.title), ?) > 0 OR EXISTS (SELECT 1 FROM messages m"
                " WHERE m.conversation_id = c.id AND instr(vd_casefold(m.text), ?) > 0))"
            )
            params += [needle, needle]
        sql += " ORDER BY c.updated_at DESC, c.id DESC"
        with self._read() as conn:
            return [conversation_from_row(row) for row in conn.execute(sql, params)]

    def list_deleted(self) -> list[Conversation]:
        """Soft-deleted conversations (still restorable), most recently deleted first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM conversations WHERE deleted_at IS NOT NULL ORDER BY deleted_at DESC"
            )
            return [conversation_from_row(row) for row in rows]

    def get_conversation(self, id: int) -> Conversation:
        """The conversation with this id (deleted ones too); raises ``NotFoundError``."""
        with self._read() as conn:
            row = conn.execute("SELECT * FROM conversations WHERE id = ?", (id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no conversation with id {id}")
        return conversation_from_row(row)

    def set_conversation_model(self, id: int, model: str | None) -> None:
        """Bind the conversation to a model (a local file's path, or a server's model: ``core.model_binding``)."""
        with self._write() as conn:
            conn.execute("UPDATE conversations SET model = ? WHERE id = ?", (model, id))

    def rename_conversation(self, id: int, title: str) -> None:
        """Set a title chosen by the user; ``auto_title`` will not overwrite it afterwards."""
        with self._write() as conn:
            self._touch(conn, id, "title = ?, title_source = 'user'", (title,))

    def answer_format(self, conversation_id: int) -> str:
        """The conversation's answer format: '' (free text), 'json_object' or 'preset:NAME'."""
        with self._read() as conn:
            row = conn.execute("SELECT answer_format FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no conversation with id {conversation_id}")
        return str(row[0])

    def set_answer_format(self, conversation_id: int, answer_format: str) -> None:
        """Remember the answer format chosen for the conversation (not a change of its content: no touch)."""
        with self._write() as conn:
            conn.execute("UPDATE conversations SET answer_format = ? WHERE id = ?", (answer_format, conversation_id))

    def auto_title(self, conversation_id: int, first_user_text: str) -> str:
        """Title the conversation from its first user message (about 40 characters).

        Does nothing when the user renamed the conversation or the text is blank. Returns the
        conversation's title after the call.
        """
        title = make_title(first_user_text)
        with self._write() as conn:
            row = self._conversation_row(conn, conversation_id)
            if not title or row["title_source"] == "user":
                return str(row["title"])
            conn.execute("UPDATE conversations SET title = ? WHERE id = ?", (title, conversation_id))
        return title

    def delete_conversation(self, id: int) -> float:
        """Soft-delete: hide the conversation until ``restore_conversation`` or ``purge_deleted``; the time of it."""
        now = self._clock()
        with self._write() as conn:
            self._touch(conn, id, "deleted_at = ?", (now,), bump=False)
        return now

    def restore_conversation(self, id: int) -> None:
        """Undo ``delete_conversation``."""
        with self._write() as conn:
            self._touch(conn, id, "deleted_at = NULL", (), bump=False)

    def now(self) -> float:
        """The store's clock (the time ``delete_conversation`` records)."""
        return self._clock()

    def purge_deleted(self, deleted_up_to: float | None = None, spare_unsent: bool = True) -> Purged:
        """Permanently remove soft-deleted conversations and every unreferenced attachment file.

        ``deleted_up_to``: only conversations deleted at or before this time (of ``delete_conversation``), so
        that one deleted since, whose Undo is still offered, stays. Images kept for a composer but not sent yet
        in this process stay too, unless ``spare_unsent`` is False (quitting: no composer is left). The
        database's freed pages are overwritten (``secure_delete``) and its write-ahead log emptied, so a purged
        conversation's words are gone from the files, not only from the tables. What was derived from the images
        that went (prepared pixels, embeddings) lives outside the store: ``Purged.digests`` names it.
        """
        with self._lock:
            with self._write() as conn:
                removed = conn.execute("DELETE FROM conversations WHERE deleted_at IS NOT NULL AND deleted_at <= ?",
                                       (float("inf") if deleted_up_to is None else deleted_up_to,)).rowcount
                held = {sha for sha, count in self._unsent.items() if count > 0} if spare_unsent else set()
                dropped = store_attachments.drop_unreferenced(conn, held)
            digests = {*dropped.digests, *store_files.pixel_digests(self.attachments_dir, dropped.unidentified)}
            # Files go only after the commit: a crash in between leaves orphans, swept next time.
            files = store_files.remove_unreferenced(self.attachments_dir, dropped.kept_files)
            busy = self.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        if busy:
            log.warning("the write-ahead log could not be emptied (another reader): purged words stay there until "
                        "the next checkpoint")
        log.info("purged %d conversation(s) and %d attachment file(s)", removed, len(files))
        return Purged(int(removed), tuple(sorted(digests)))

    # -- messages --------------------------------------------------------------------------------

    def add_message(
        self,
        conversation_id: int,
        role: str,
        text: str,
        attachments: Sequence[ImageAttachment | AttachmentSource] = (),
        complete: bool = True,
        stats: dict[str, Any] | None = None,
    ) -> StoredMessage:
        """Append a message with its images: attachments already kept are linked, others stored now (once per hash).

        Raises ``ValueError`` for an unknown role or an attachment that is not an image, and
        ``NotFoundError`` for an unknown conversation.
        """
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; expected one of {sorted(ROLES)}")
        stats_json = dump_stats(stats)
        images = [a if isinstance(a, ImageAttachment) else store_files.read_image_bytes(a) for a in attachments]
        now = self._clock()
        with self._write() as conn:
            self._conversation_row(conn, conversation_id)
            cursor = conn.execute(
                "INSERT INTO messages (conversation_id, role, text, complete, created_at, stats)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (conversation_id, role, text, int(complete), now, stats_json),
            )
            message_id = int(cursor.lastrowid or 0)
            stored = store_attachments.link_images(conn, self.attachments_dir, message_id, images)
            conn.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
            self._unsent.subtract(image.sha256 for image in images if isinstance(image, ImageAttachment))
        return StoredMessage(
            message_id, conversation_id, role, text, stored, complete, now, dict(stats or {})
        )

    def update_message(
        self, message_id: int, text: str, complete: bool, stats: dict[str, Any] | None = None
    ) -> None:
        """Replace a message's text and completion flag (and stats, unless ``None``).

        Two primary-key updates in one transaction, cheap enough to call while an answer streams.
        """
        with self._write() as conn:
            if stats is None:
                cursor = conn.execute(
                    "UPDATE messages SET text = ?, complete = ? WHERE id = ?",
                    (text, int(complete), message_id),
                )
            else:
                cursor = conn.execute(
                    "UPDATE messages SET text = ?, complete = ?, stats = ? WHERE id = ?",
                    (text, int(complete), dump_stats(stats), message_id),
                )
            if cursor.rowcount == 0:
                raise NotFoundError(f"no message with id {message_id}")
            conn.execute(
                "UPDATE conversations SET updated_at = ?"
                " WHERE id = (SELECT conversation_id FROM messages WHERE id = ?)",
                (self._clock(), message_id),
            )

    def delete_messages_from(self, conversation_id: int, message_id: int) -> int:
        """Delete ``message_id`` and every later message of the conversation; return how many.

        Used to regenerate an answer or edit a message. Their attachment files stay until
        ``purge_deleted`` finds them unreferenced.
        """
        with self._write() as conn:
            row = conn.execute(
                "SELECT 1 FROM messages WHERE id = ? AND conversation_id = ?",
                (message_id, conversation_id),
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no message {message_id} in conversation {conversation_id}")
            deleted = conn.execute(
                "DELETE FROM messages WHERE conversation_id = ? AND id >= ?",
                (conversation_id, message_id),
            ).rowcount
            conn.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = ?", (self._clock(), conversation_id)
            )
        return int(deleted)

    def delete_messages(self, conversation_id: int, message_ids: Sequence[int]) -> None:
        """Delete these messages of the conversation (a turn: a question and its answer)."""
        with self._write() as conn:
            conn.executemany("DELETE FROM messages WHERE conversation_id = ? AND id = ?",
                             [(conversation_id, mid) for mid in message_ids])
            conn.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (self._clock(), conversation_id))

    def new_version(self, message_id: int) -> int:
        """Keep the answer's text as an earlier version and empty it for a new one; return the new position."""
        with self._write() as conn:
            return store_versions.start_new(conn, message_id, self._clock())

    def show_version(self, message_id: int, position: int) -> None:
        """Show another kept version of an answer (the shown one is kept in turn)."""
        with self._write() as conn:
            store_versions.show(conn, message_id, position)

    def versions(self, conversation_id: int) -> dict[int, tuple[int, list[int]]]:
        """Answers with several versions: message id -> (position shown, every position)."""
        with self._read() as conn:
            return store_versions.positions(conn, conversation_id)

    def kept_versions(self, conversation_id: int) -> dict[int, list[store_versions.MessageVersion]]:
        """The versions not shown, by message id (for export)."""
        with self._read() as conn:
            return store_versions.kept(conn, conversation_id)

    def messages(self, conversation_id: int) -> list[StoredMessage]:
        """All messages of a conversation, oldest first, with their attachments."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM messages WHERE conversation_id = ? ORDER BY id", (conversation_id,)
            ).fetchall()
            by_message = store_attachments.attachments_by_message(
                conn, self.attachments_dir, conversation_id=conversation_id
            )
        return [message_from_row(row, by_message.get(int(row["id"]), ())) for row in rows]

    def get_message(self, message_id: int) -> StoredMessage:
        """One message by id; raises ``NotFoundError``."""
        with self._read() as conn:
            row = conn.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no message with id {message_id}")
            by_message = store_attachments.attachments_by_message(
                conn, self.attachments_dir, message_id=message_id
            )
        return message_from_row(row, by_message.get(message_id, ()))

    # -- attachments -----------------------------------------------------------------------------

    def attach(self, source: ImageSource, pixels: PixelCache | None) -> tuple[ImageAttachment, PreparedImage]:
        """Attach an image: read, check and decode it once (pixels into ``pixels``), then store its file."""
        attachment, prepared = attach_image(source, pixels)
        return self.keep_image(attachment, source.data), prepared

    def keep_image(self, image: ImageAttachment, data: bytes | None = None) -> ImageAttachment:
        """Store an attached image's file now, before any message uses it (so a Send cannot lose it).

        Returns the attachment on the stored copy. Not linked to a message, the file is an orphan until
        one is sent with it; ``purge_deleted`` keeps it while this process runs, and sweeps it in a later
        one. ``data``: the bytes, for a paste.
        """
        with self._write() as conn:
            kept = store_attachments.keep_image(conn, self.attachments_dir, image, data)
            self._unsent[kept.sha256] += 1
            return kept

    def release(self, images: Sequence[ImageAttachment]) -> None:
        """The composer no longer holds these kept images (removed, or its check came after Send): purgeable."""
        with self._lock:
            self._unsent.subtract(image.sha256 for image in images)

    def attachment_path(self, sha256: str) -> Path | None:
        """The stored file for an image hash, or ``None`` if this store does not have it."""
        with self._read() as conn:
            return store_attachments.stored_file(conn, self.attachments_dir, sha256)

    # -- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _conversation_row(conn: sqlite3.Connection, conversation_id: int) -> sqlite3.Row:
        row: sqlite3.Row | None = conn.execute(
            "SELECT * FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no conversation with id {conversation_id}")
        return row

    def _touch(
        self,
        conn: sqlite3.Connection,
        conversation_id: int,
        assignments: str,
        params: tuple[object, ...],
        *,
        bump: bool = True,
    ) -> None:
        if bump:
            assignments += ", updated_at = ?"
            params += (self._clock(),)
        cursor = conn.execute(
            f"UPDATE conversations SET {assignments} WHERE id = ?", (*params, conversation_id)
        )
        if cursor.rowcount == 0:
            raise NotFoundError(f"no conversation with id {conversation_id}")
