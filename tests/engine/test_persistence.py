"""What the engine remembers across restarts: image embeddings and saved conversation states on disk (issue 24).

Each "restart" is a new ``LocalEngine`` (a new engine process) on the same cache folder, as when the app
is closed and opened again. The engine process logs into ``engine.log`` of the engine's log folder.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from visiondesk.engine import Message
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.llama.disk_cache import DiskCache, read_entry, write_entry
from visiondesk.engine.llama.worker.prompt_cache import FA_TILE

from tests.engine.conftest import run, spec
from tests.model_factory import GeneratedModels, write_mmproj

# Long enough that a cold start reads the text after the image in one batch of more than 64 tokens, like the
# widened follow-up (see test_cache.test_a_widened_follow_up_answers_like_a_cold_start): equal kernels, equal bits.
QUESTION = "Please look at this picture carefully. " * 6


@pytest.fixture
def cache(tmp_path: Path) -> DiskCache:
    return DiskCache(tmp_path / "cache", 256 * 1024**2)


def engine(cache: DiskCache | None, logs: Path) -> LocalEngine:
    return LocalEngine(log_dir=logs, cache=cache)


def engine_log(logs: Path) -> str:
    return (logs / "engine.log").read_text(encoding="utf-8")


def cold(test_models: GeneratedModels, messages: list[Message]) -> str:
    """The answer of an engine that never saw anything (no disk cache)."""
    with LocalEngine() as e:
        e.load(spec(test_models))
        return run(e, messages)[0]


def first_turn(test_models: GeneratedModels, cache: DiskCache, logs: Path, image: Path,
               save_as: str | None = None) -> tuple[Message, str, int]:
    """Answer the first turn in an engine that then closes (saving the conversation as ``save_as``)."""
    q1 = Message.user(QUESTION, image)
    with engine(cache, logs) as e:
        e.load(spec(test_models))
        a1, f1, _ = run(e, [q1])
        assert f1.usage.images_encoded == 1
        saved = e.save_state(save_as) if save_as else 0
    return q1, a1, saved


def test_a_persisted_embedding_is_reused_after_a_restart(test_models: GeneratedModels, images: dict[str, Path],
                                                         cache: DiskCache, tmp_path: Path) -> None:
    q1, a1, _ = first_turn(test_models, cache, tmp_path / "logs", images["red"])
    assert len(list((cache.folder / "embeddings").iterdir())) == 1
    with engine(cache, tmp_path / "logs") as e:  # the app restarted; another conversation about the same image
        e.load(spec(test_models))
        again, f, _ = run(e, [q1])
    assert f.usage.images_encoded == 0 and f.usage.images_reused == 1
    assert again == a1  # the embedding read back is the one encoded before, bit for bit


def test_a_persisted_embedding_is_ignored_after_its_projector_file_changes(
        test_models: GeneratedModels, images: dict[str, Path], cache: DiskCache, tmp_path: Path) -> None:
    mmproj = tmp_path / "projector.gguf"
    shutil.copyfile(test_models.mmproj, mmproj)
    q1 = Message.user(QUESTION, images["blue"])
    with engine(cache, tmp_path / "logs") as e:
        e.load(spec(test_models, mmproj=mmproj))
        _, f1, _ = run(e, [q1])
    assert f1.usage.images_encoded == 1
    write_mmproj(mmproj, seed=7)  # another projector under the same name
    with engine(cache, tmp_path / "logs") as e:
        e.load(spec(test_models, mmproj=mmproj))
        answer, f2, _ = run(e, [q1])
    assert f2.usage.images_encoded == 1  # encoded again: the stored embedding belongs to the old projector
    with LocalEngine() as e:
        e.load(spec(test_models, mmproj=mmproj))
        assert answer == run(e, [q1])[0]


def test_a_saved_state_is_used_after_a_restart_and_answers_like_a_cold_start(
        test_models: GeneratedModels, images: dict[str, Path], cache: DiskCache, tmp_path: Path) -> None:
    q1, a1, saved = first_turn(test_models, cache, tmp_path / "logs", images["green"], save_as="conversation-1")
    assert saved > 0
    follow = [q1, Message.assistant(a1), Message.user("More colours?")]
    with engine(cache, tmp_path / "logs") as e:
        e.load(spec(test_models))
        assert e.restore_state("conversation-1") == saved
        answer, f, _ = run(e, follow)
    # Only the new turn is read (widened to the flash-attention tile on the CPU), and no image is encoded.
    assert f.usage.prompt_tokens_evaluated == FA_TILE < f.usage.prompt_tokens
    assert f.usage.images_encoded == 0 and f.usage.images_reused == 1
    assert answer == cold(test_models, follow)


def test_a_saved_state_is_used_only_as_far_as_the_prompt_matches_it_token_for_token(
        test_models: GeneratedModels, images: dict[str, Path], cache: DiskCache, tmp_path: Path) -> None:
    q1, a1, saved = first_turn(test_models, cache, tmp_path / "logs", images["green"], save_as="conversation-1")
    # The same conversation, but its first question was edited elsewhere meanwhile (after the image: one word).
    edited = [Message.user(QUESTION.replace("carefully", "carefuly", 1), images["green"]),
              Message.assistant(a1), Message.user("More colours?")]
    with engine(cache, tmp_path / "logs") as e:
        e.load(spec(test_models))
        assert e.restore_state("conversation-1") == saved
        answer, f, _ = run(e, edited)
    # What precedes the edit is kept (the image included); from the first different token on, all is read.
    assert f.usage.images_encoded == 0 and f.usage.images_reused == 1
    kept = f.usage.prompt_tokens - f.usage.prompt_tokens_evaluated
    assert 16 < kept < 16 + len("<|im_start|>user\nPlease look at this picture ")
    assert answer == cold(test_models, edited)
    other = [Message.user("Something else entirely?")]
    with engine(cache, tmp_path / "logs") as e:
        e.load(spec(test_models))
        assert e.restore_state("conversation-1") == saved
        answer, f, _ = run(e, other)
    assert f.usage.prompt_tokens - f.usage.prompt_tokens_evaluated < 8  # the template's first tokens at most
    assert answer == cold(test_models, other)


def test_a_state_saved_for_another_model_is_discarded(test_models: GeneratedModels, images: dict[str, Path],
                                                      cache: DiskCache, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    first_turn(test_models, cache, logs, images["red"], save_as="conversation-1")
    with engine(cache, logs) as e:
        e.load(spec(test_models, n_ctx=2048))  # another context size: another KV cache
        assert e.restore_state("conversation-1") == 0
    assert list((cache.folder / "states").iterdir()) == []
    assert "made for another model or settings (stale); deleted" in engine_log(logs)


def test_damaged_cache_files_are_discarded_with_a_log_line(test_models: GeneratedModels, images: dict[str, Path],
                                                           cache: DiskCache, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    q1, a1, saved = first_turn(test_models, cache, logs, images["blue"], save_as="conversation-1")
    [embedding] = (cache.folder / "embeddings").iterdir()
    [state] = (cache.folder / "states").iterdir()
    whole = embedding.stat().st_size
    for path in (embedding, state):  # cut short, as by a full disk or a crash of the machine
        path.write_bytes(path.read_bytes()[:path.stat().st_size // 2])
    follow = [q1, Message.assistant(a1), Message.user("More colours?")]
    with engine(cache, logs) as e:
        e.load(spec(test_models))
        assert e.restore_state("conversation-1") == 0
        assert not state.exists()
        answer, f, _ = run(e, follow)
    assert f.usage.images_encoded == 1 and f.usage.prompt_tokens_evaluated == f.usage.prompt_tokens
    assert answer == cold(test_models, follow)
    text = engine_log(logs)
    assert f"states/{state.name} is damaged" in text and f"embeddings/{embedding.name} is damaged" in text
    assert embedding.stat().st_size == whole  # written again, whole, after the image was encoded again


def test_a_wrong_payload_size_or_checksum_is_refused(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = DiskCache(tmp_path, 1 << 20)
    path = cache.path_for("states", "x", "kv")
    assert write_entry(cache, path, "states", "key", {"n": 1}, b"payload")
    entry = read_entry(path, "states", "key")
    assert entry is not None and entry.payload == b"payload" and entry.meta == {"n": 1}
    data = path.read_bytes()
    path.write_bytes(data[:-1] + b"X")
    assert read_entry(path, "states", "key") is None and not path.exists()
    path.write_bytes(data + b"more")
    assert read_entry(path, "states", "key") is None and not path.exists()
    path.write_bytes(b"not a cache file")
    assert read_entry(path, "states", "key") is None and not path.exists()
    assert [r.message.split(" is damaged ")[1] for r in caplog.records if "is damaged" in r.message] == [
        "(checksum mismatch); deleted", "(11 bytes of payload, 7 expected); deleted", "(no cache header); deleted"]


def test_the_disk_bound_evicts_the_least_recently_used(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, 3 * 1100)
    paths = [cache.path_for("embeddings", str(i), "emb") for i in range(4)]
    past = time.time() - 100
    for i, path in enumerate(paths[:3]):
        assert write_entry(cache, path, "embeddings", str(i), {}, bytes(1000))
        os.utime(path, (past + i, past + i))  # written one after the other (file times are coarse)
    assert read_entry(paths[0], "embeddings", "0") is not None  # used: now the most recent
    assert write_entry(cache, paths[3], "embeddings", "3", {}, bytes(1000))
    assert [p.exists() for p in paths] == [True, False, True, True]
    assert cache.usage() <= cache.max_bytes
    assert not write_entry(cache, paths[1], "embeddings", "1", {}, bytes(5000))  # larger than the whole cache
    assert cache.clear() > 0 and cache.usage() == 0 and cache.files() == []


def test_nothing_is_kept_without_a_disk_cache(test_models: GeneratedModels, images: dict[str, Path]) -> None:
    with LocalEngine() as e:
        e.load(spec(test_models))
        run(e, [Message.user("What is this?", images["red"])])
        assert e.save_state("conversation-1") == 0
        assert e.restore_state("conversation-1") == 0


def test_a_state_whose_tokens_do_not_describe_its_cache_is_discarded(
        test_models: GeneratedModels, images: dict[str, Path], cache: DiskCache, tmp_path: Path) -> None:
    """A whole, well-keyed file whose token list is one token short of what its KV cache holds: never used."""
    logs = tmp_path / "logs"
    q1, a1, saved = first_turn(test_models, cache, logs, images["red"], save_as="conversation-1")
    [state] = (cache.folder / "states").iterdir()
    key = json.loads(state.read_bytes()[12:12 + int.from_bytes(state.read_bytes()[8:12], "little")])["key"]
    entry = read_entry(state, "states", key)
    assert entry is not None and entry.meta["positions"] == saved
    entry.meta["segments"][-1][1].pop()  # the answer's last token, forgotten
    entry.meta["positions"] -= 1
    assert write_entry(cache, state, "states", key, entry.meta, entry.payload)
    follow = [q1, Message.assistant(a1), Message.user("More colours?")]
    with engine(cache, logs) as e:
        e.load(spec(test_models))
        assert e.restore_state("conversation-1") == 0
        answer, f, _ = run(e, follow)
    assert not state.exists()
    assert f"it restored {saved} positions, not {saved - 1}; deleted" in engine_log(logs)
    assert f.usage.prompt_tokens_evaluated == f.usage.prompt_tokens and answer == cold(test_models, follow)


def test_a_cache_that_cannot_be_written_costs_nothing_but_the_cache(test_models: GeneratedModels,
                                                                     images: dict[str, Path], tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    logs = tmp_path / "logs"
    with engine(DiskCache(blocked, 1 << 30), logs) as e:
        e.load(spec(test_models))
        q1 = Message.user("What is this?", images["red"])
        a1, f1, _ = run(e, [q1])
        assert f1.error is None and e.save_state("conversation-1") == 0
        _, f2, _ = run(e, [q1, Message.assistant(a1), Message.user("And?")])  # the engine answers on
    assert f2.error is None and f2.usage.images_reused == 1
    assert "could not write" in engine_log(logs)


def test_a_conversation_opened_without_a_state_gets_no_copy_of_another(
        test_models: GeneratedModels, images: dict[str, Path], cache: DiskCache, tmp_path: Path) -> None:
    with engine(cache, tmp_path / "logs") as e:
        e.load(spec(test_models))
        run(e, [Message.user("What is this?", images["red"])])
        saved = e.save_state("conversation-a")  # the user opens another conversation...
        assert saved > 0 and e.restore_state("conversation-b") == 0  # ...which has no state: the cache stays a's
        assert e.save_state("conversation-b") == 0  # and leaves it without asking anything: a's is not copied
        assert e.restore_state("conversation-a") == saved  # back: the cache is a's already, nothing is read
        _, f, _ = run(e, [Message.user("Something else")])
        assert e.save_state("conversation-b") == f.usage.prompt_tokens + f.usage.completion_tokens - 1
    assert len(list((cache.folder / "states").iterdir())) == 2


def test_an_image_encoded_ahead_then_removed_leaves_nothing_on_disk(test_models: GeneratedModels, cache: DiskCache,
                                                                     tmp_path: Path) -> None:
    """Issue 24's encode-on-attach with the disk cache: removing the image before Send forgets it there too."""
    from tests.engine.test_prepare_images import Attacher, wait_for

    attach = Attacher(tmp_path)
    kept, removed = attach("kept", 3), attach("removed", 4)
    with LocalEngine(pixels=attach.pixels, cache=cache, log_dir=tmp_path / "logs") as e:
        e.load(spec(test_models))
        e.prepare_images([kept, removed])
        wait_for(e, lambda s: {kept.digest, removed.digest} <= set(s.ready))
        e.drop_prepared_images([removed])
        wait_for(e, lambda s: s.dropped == 1)
        run(e, [Message.user("What?", kept)])  # a request after the drop: whatever was left to write is written
    assert len(list((cache.folder / "embeddings").iterdir())) == 1  # the kept image's
    with LocalEngine(pixels=attach.pixels, cache=cache) as e:  # after a restart
        e.load(spec(test_models))
        assert run(e, [Message.user("What?", removed)])[1].usage.images_encoded == 1
        assert run(e, [Message.user("What?", kept)])[1].usage.images_encoded == 0


def test_a_state_larger_than_the_disk_cache_is_not_saved(test_models: GeneratedModels, images: dict[str, Path],
                                                          tmp_path: Path) -> None:
    small = DiskCache(tmp_path / "cache", 64 * 1024)  # room for the image's embedding, not for the state
    q1, _, saved = first_turn(test_models, small, tmp_path / "logs", images["red"], save_as="conversation-1")
    assert saved == 0 and not (small.folder / "states").exists()
    assert len(list((small.folder / "embeddings").iterdir())) == 1
    assert "not saving the conversation state" in engine_log(tmp_path / "logs")
