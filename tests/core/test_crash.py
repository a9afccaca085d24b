"""Kill a process mid-stream with SIGKILL and check the database survives intact."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from visiondesk.core.store import ConversationStore

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from visiondesk.core.store import ConversationStore

    store = ConversationStore(Path(sys.argv[1]), Path(sys.argv[2]))
    conv = store.create_conversation("crash")
    store.add_message(conv.id, "user", "describe")
    msg = store.add_message(conv.id, "assistant", "", complete=False)
    print(f"ready {conv.id} {msg.id}", flush=True)
    i = 0
    while True:
        i += 1
        # Large, growing text so each commit writes many pages: the kill lands mid-write often.
        text = ("token " * 40 * i) + f"<{i}>"
        store.update_message(msg.id, text, complete=False, stats={"n": i})
        print(i, flush=True)
    """
)

KILL_AFTER = 150


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_sigkill_during_streaming_updates(tmp_path: Path) -> None:
    db, att = tmp_path / "conv.sqlite3", tmp_path / "att"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), str(att)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    try:
        header = child.stdout.readline().split()
        assert header[0] == "ready", header
        conversation_id, message_id = int(header[1]), int(header[2])
        last_reported = 0
        while last_reported < KILL_AFTER:
            line = child.stdout.readline()
            assert line, f"child died early with code {child.poll()}"
            last_reported = int(line)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL

    raw = sqlite3.connect(db)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        raw.close()

    with ConversationStore(db, att) as store:
        (message,) = [m for m in store.messages(conversation_id) if m.id == message_id]
        assert message.complete is False
        # The child may have committed a few more updates after its last report, never fewer.
        n = message.stats["n"]
        assert n >= last_reported
        assert message.text == ("token " * 40 * n) + f"<{n}>"
        assert [m.role for m in store.messages(conversation_id)] == ["user", "assistant"]
        # The store is fully usable afterwards.
        store.update_message(message_id, "recovered", complete=True)
        assert store.get_message(message_id).complete is True
