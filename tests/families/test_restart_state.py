"""Issue 24 on every vision family: a conversation's KV state saved to disk and restored in a new engine process
answers a follow-up exactly as the session it was saved from did, reading the same new tokens (M-RoPE positions,
sliced images, sliding windows and recurrent layers included)."""

from __future__ import annotations

from pathlib import Path

from visiondesk.engine import Message, ModelSpec
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.llama.disk_cache import DiskCache

from tests.engine.conftest import run
from tests.families.families import Family


def test_a_restored_state_answers_like_the_session_it_was_saved_from(family: tuple[Family, ModelSpec],
                                                                     photos: dict[str, Path], tmp_path: Path) -> None:
    _fam, spec = family
    cache = DiskCache(tmp_path / "cache", 1 << 30)
    q1 = Message.user("What is in this picture?", photos["tall"])
    with LocalEngine(cache=cache) as e:
        e.load(spec)
        a1, _, _ = run(e, [q1])
        saved = e.save_state("conversation-1")
        follow = [q1, Message.assistant(a1), Message.user("And what else?")]
        in_session, f_session, _ = run(e, follow)
    with LocalEngine(cache=cache) as e:  # the app restarted
        e.load(spec)
        restored = e.restore_state("conversation-1")
        after_restart, f_restart, _ = run(e, follow)
    assert saved > 0 and restored == saved
    assert after_restart == in_session
    assert f_restart.usage.prompt_tokens_evaluated == f_session.usage.prompt_tokens_evaluated
    assert f_restart.usage.images_encoded == 0
