"""``DiskCache.forget_state``: a deleted conversation's saved KV state goes, keyed as the engine saved it; the states
of other conversations and the image embeddings stay, and the engine restores those as before.
``DiskCache.forget_images`` and ``LocalEngine.forget_images`` (a purge): nothing derived from the purged pictures
stays, on disk or in the engine process."""

from __future__ import annotations

import json
from pathlib import Path

from visiondesk.engine import CancelToken, Finished, Message, SamplingParams
from visiondesk.engine.attachments import attach_image
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.llama.disk_cache import DiskCache, header_key, read_entry
from visiondesk.engine.pixel_cache import PixelCache
from visiondesk.engine.requests import ImageSource

from tests.engine.conftest import run, spec
from tests.model_factory import GeneratedModels


def test_forgetting_a_state_leaves_the_others(test_models: GeneratedModels, images: dict[str, Path],
                                              tmp_path: Path) -> None:
    cache = DiskCache(tmp_path / "cache", 256 * 1024**2)
    with LocalEngine(log_dir=tmp_path / "logs", cache=cache) as e:
        e.load(spec(test_models))
        run(e, [Message.user("What is this?", images["red"])])
        kept = e.save_state("conversation-1")
        e.reset_conversation()
        run(e, [Message.user("And this one?", images["blue"])])
        assert e.save_state("conversation-2") > 0 and kept > 0
    assert cache.state_path("conversation-1").is_file() and cache.state_path("conversation-2").is_file()
    embeddings = sorted((cache.folder / "embeddings").iterdir())

    assert cache.forget_state("conversation-1") is True
    assert not cache.state_path("conversation-1").exists()
    assert cache.forget_state("conversation-1") is False  # already gone: nothing to say
    assert sorted((cache.folder / "embeddings").iterdir()) == embeddings
    with LocalEngine(log_dir=tmp_path / "logs", cache=cache) as e:  # after a restart
        e.load(spec(test_models))
        assert e.restore_state("conversation-1") == 0
        assert e.restore_state("conversation-2") > 0


def test_forgetting_images_deletes_their_embeddings_only(test_models: GeneratedModels, images: dict[str, Path],
                                                         tmp_path: Path) -> None:
    """``DiskCache.forget_images`` (their conversations were purged): found by the key in each file's header."""
    cache = DiskCache(tmp_path / "cache", 256 * 1024**2)
    with LocalEngine(log_dir=tmp_path / "logs", cache=cache) as e:
        e.load(spec(test_models))
        run(e, [Message.user("What is this?", images["red"])])
        run(e, [Message.user("And this one?", images["blue"])])
        assert e.save_state("conversation-1") > 0
    folder = cache.folder / "embeddings"
    keys = {p: header_key(p) for p in folder.iterdir()}
    digests = sorted({str(k).split(":", 1)[0] for k in keys.values()})
    assert len(digests) == 2 and None not in keys.values()
    (folder / "junk.emb").write_bytes(b"not a cache file")  # read by nobody here: left for the reader to judge

    assert cache.forget_images([digests[0], "f" * 64]) == sum(k.startswith(digests[0]) for k in keys.values())
    left = {p: k for p, k in keys.items() if p.exists()}
    assert left and all(k.startswith(digests[1] + ":") for k in left.values())
    assert all(read_entry(p, "embeddings", k) is not None for p, k in left.items())  # whole, still usable
    assert (folder / "junk.emb").exists() and cache.state_path("conversation-1").is_file()
    assert cache.forget_images([]) == 0


def test_the_engine_process_forgets_purged_images(test_models: GeneratedModels, images: dict[str, Path],
                                                  tmp_path: Path) -> None:
    """Their embeddings go from its memory, and its cached conversation if that holds one; the rest stays."""
    pixels = PixelCache(tmp_path / "pixels")
    red, blue = (attach_image(ImageSource(path=images[c]), pixels)[0] for c in ("red", "blue"))
    with LocalEngine(log_dir=tmp_path / "logs", pixels=pixels) as e:
        e.load(spec(test_models))
        about_red = [Message.user("What is this?", red)]
        red_answer, fin, _ = run(e, about_red)
        assert fin.usage.images_encoded == 1
        about_blue = [Message.user("And this one?", blue)]
        blue_answer, _, _ = run(e, about_blue)  # the cached conversation now

        e.forget_images([red.digest, "f" * 64])  # red is not in the cached conversation: that stays
        _, fin, _ = run(e, [*about_blue, Message.assistant(blue_answer), Message.user("More?")])
        assert fin.usage.images_encoded == 0 and fin.usage.prompt_tokens_evaluated < fin.usage.prompt_tokens // 2
        red_follow_up = [*about_red, Message.assistant(red_answer), Message.user("More?")]
        _, fin, _ = run(e, red_follow_up)
        assert fin.usage.images_encoded == 1  # encoded again: it was forgotten

        e.forget_images([red.digest])  # now the cached conversation holds red: it is read again from the start
        _, again, _ = run(e, red_follow_up)
        assert again.usage.images_encoded == 1
        assert again.usage.prompt_tokens_evaluated == again.usage.prompt_tokens == fin.usage.prompt_tokens
        _, fin, _ = run(e, [Message.user("Blue again?", blue)])
        assert fin.usage.images_encoded == 0  # blue's embedding stayed
        e.forget_images([])  # nothing: no message


def test_forgetting_after_a_stop_lets_the_stopped_answer_end_first(test_models: GeneratedModels,
                                                                    tmp_path: Path) -> None:
    """From review: a Stop past its grace leaves the engine process ending the answer (the parent drains it before
    the next request). A purge's forget came first and lowered the cancel flag: the stopped answer ran to its end."""
    with LocalEngine(log_dir=tmp_path / "logs") as e:
        e.load(spec(test_models))
        stop = CancelToken()
        stop.cancel()
        stop.cancelled_at -= 5  # stopped long ago: the parent gives up waiting for the process at once
        long = SamplingParams(temperature=1.0, max_tokens=400, repeat_penalty=1.0)
        events = list(e.chat([Message.user("Tell me a long story")], long, cancel=stop))
        assert isinstance(events[-1], Finished)
        child = e._link.child  # noqa: SLF001 - the process still ending the stopped answer
        assert child is not None and child.draining
        e.forget_images(["f" * 64])
        assert not child.draining  # it ended before the message went
        _, fin, _ = run(e, [Message.user("Hello.")], SamplingParams(temperature=0.0, max_tokens=4))
        assert fin.error is None and e._link.child is child  # noqa: SLF001 - the same process, in step


def test_a_crafted_cache_file_does_not_stop_the_sweep(tmp_path: Path) -> None:
    """A header nested deeper than Python's JSON reader goes is read as no header (the sweep goes on) and as a
    damaged file by the engine's reader (deleted, not a crash)."""
    import struct

    from visiondesk.engine.llama.disk_cache import MAGIC

    cache = DiskCache(tmp_path / "cache", 1024**2)
    folder = cache.folder / "embeddings"
    folder.mkdir(parents=True)
    nested = b"[" * 100_000
    (folder / "a.emb").write_bytes(MAGIC + struct.pack("<I", len(nested)) + nested)
    key = "d" * 64 + ":0:projector"
    header = json.dumps({"kind": "embeddings", "key": key, "size": 0, "crc32": 0, "meta": {}}).encode()
    (folder / "b.emb").write_bytes(MAGIC + struct.pack("<I", len(header)) + header)
    assert header_key(folder / "a.emb") is None
    assert cache.forget_images(["d" * 64]) == 1
    assert not (folder / "b.emb").exists() and (folder / "a.emb").exists()
    assert read_entry(folder / "a.emb", "embeddings", key) is None  # the engine's reader says "damaged" too
    assert not (folder / "a.emb").exists()
