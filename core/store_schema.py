"""SQLite schema of the conversation store and its migrations.

The schema version lives in ``PRAGMA user_version``. ``MIGRATIONS[i]`` takes a database from
version ``i`` to ``i + 1``; append new steps, never edit old ones, because users' databases have
already run them.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)

_V1 = """
CREATE TABLE conversations (
    id          INTEGER PRIMARY KEY,
    title       TEXT    NOT NULL DEFAULT '',
    -- 'auto' titles may be replaced by auto_title(); 'user' titles (renames) never are.
    title_source TEXT   NOT NULL DEFAULT 'auto' CHECK (title_source IN ('auto', 'user')),
    model       TEXT,
    created_at  REAL    NOT NULL,
    updated_at  REAL    NOT NULL,
    deleted_at  REAL
);
CREATE INDEX conversations_by_update ON conversations (deleted_at, updated_at DESC);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role            TEXT    NOT NULL,
    text            TEXT    NOT NULL DEFAULT '',
    complete        INTEGER NOT NULL DEFAULT 1 CHECK (complete IN (0, 1)),
    created_at      REAL    NOT NULL,
    stats           TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, id);

-- One row per distinct image (by content); file_name is relative to the attachments folder.
CREATE TABLE attachments (
    sha256    TEXT    PRIMARY KEY,
    file_name TEXT    NOT NULL,
    width     INTEGER NOT NULL,
    height    INTEGER NOT NULL
);

CREATE TABLE message_attachments (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    sha256     TEXT    NOT NULL REFERENCES attachments (sha256),
    name       TEXT    NOT NULL,
    PRIMARY KEY (message_id, position)
);
CREATE INDEX message_attachments_by_sha ON message_attachments (sha256);
"""

# Version 2: the digest of an image's prepared pixels, the engine's identity of it ('' where unknown:
# images stored before, or sent before their check finished), so a reopened conversation re-identifies
# its images without decoding them.
_V2 = """
ALTER TABLE attachments ADD COLUMN digest TEXT NOT NULL DEFAULT '';
"""

# Version 3: the answer format the user chose for a conversation ('' free text, 'json_object', or
# 'preset:NAME' for a batch preset's schema), so a reopened conversation keeps answering in it.
_V3 = """
ALTER TABLE conversations ADD COLUMN answer_format TEXT NOT NULL DEFAULT '';
"""

# Version 4: earlier versions of an answer (kept when it is regenerated, shown with arrows to flip between):
# the messages row holds the version shown, at ``version``; message_versions every other one (core/store_versions).
_V4 = """
ALTER TABLE messages ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
CREATE TABLE message_versions (
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    text       TEXT    NOT NULL DEFAULT '',
    stats      TEXT    NOT NULL DEFAULT '{}',
    created_at REAL    NOT NULL,
    PRIMARY KEY (message_id, position)
);
"""

# Version 5: no change to the tables. A database from before it may hold words of deleted messages in its free
# pages (``secure_delete`` was off by default in the SQLite of Python on Windows and macOS), so ``migrate``
# rewrites it once with VACUUM after this step (which cannot run inside the migration's transaction).
_V5 = ""
VACUUMED_FROM = 5  # a database below this version that already has tables is rewritten once

MIGRATIONS: list[str] = [_V1, _V2, _V3, _V4, _V5]
SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer VisionDesk than this one."""


def _casefold(value: object) -> str | None:
    return value.casefold() if isinstance(value, str) else None


def connect(db_path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the database in WAL mode and bring its schema up to date.

    The connection is in autocommit mode (``isolation_level=None``): callers open explicit
    ``BEGIN IMMEDIATE`` transactions so that every write is exactly one transaction.
    """
    db_path = Path(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False, timeout=10.0)
    try:
        conn.row_factory = sqlite3.Row
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            log.warning("could not enable WAL on %s (journal_mode=%s)", db_path, mode)
        # NORMAL + WAL: a process crash never loses a committed transaction; only a power cut
        # can drop the last few, and even then the database stays consistent.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        # A deleted conversation's words are overwritten in the file, not left in free pages (a private app).
        conn.execute("PRAGMA secure_delete=ON")
        # Unicode-aware case-insensitive search (SQLite's LIKE only folds ASCII).
        conn.create_function("vd_casefold", 1, _casefold, deterministic=True)
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every pending migration, each in its own transaction; return the version the database is at.

    A database that had tables before version ``VACUUMED_FROM`` is rewritten first; if that fails (a full disk)
    it stays below that version, usable as it is, and the next start tries again.
    """
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"database schema version {version} is newer than this app supports ({SCHEMA_VERSION})"
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        if target == VACUUMED_FROM and version > 0 and not _rewrite(conn):
            return target - 1  # (a migration added after 5 waits for the rewrite too: a full disk fails it anyway)
        log.info("migrating conversation database to schema version %d", target)
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _split_sql(MIGRATIONS[target - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={target:d}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION


def _rewrite(conn: sqlite3.Connection) -> bool:
    """VACUUM, then empty the write-ahead log: no free page, and no old frame, keeps a deleted message's words."""
    log.info("rewriting the conversation database once, so no deleted words stay in its free pages")
    try:
        conn.execute("VACUUM")
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    except sqlite3.DatabaseError as exc:  # a full disk: the data is intact either way
        log.warning("could not rewrite the conversation database (%s); deleted words may stay in its free pages "
                    "until the next start tries again", exc)
        return False
    if busy:
        log.warning("the conversation database was rewritten, but its write-ahead log is still read by another "
                    "connection; the next start tries again")
    return not busy


def _split_sql(script: str) -> list[str]:
    """Split a migration script into statements (executescript would commit our transaction)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
