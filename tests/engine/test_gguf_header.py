"""The engine's own GGUF header reader against the ``gguf`` package's reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gguf
import numpy as np
import pytest
from visiondesk.engine.errors import TruncatedGGUF
from visiondesk.engine.gguf_header import BIG_ARRAY, read_gguf_info


def _reference(path: Path) -> tuple[dict[str, Any], set[str], int, int, int]:
    """gguf.GGUFReader's view: small fields, long array keys, tensor count, tensor bytes, data end."""
    reader = gguf.GGUFReader(str(path), "r")
    small: dict[str, Any] = {}
    big: set[str] = set()
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        if field.types and field.types[0] == gguf.GGUFValueType.ARRAY and len(field.data) > BIG_ARRAY:
            big.add(key)
        else:
            small[key] = field.contents()
    total = sum(int(t.n_bytes) for t in reader.tensors)
    end = max(int(t.data_offset) + int(t.n_bytes) for t in reader.tensors)
    return small, big, len(reader.tensors), total, end


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return bool(np.isclose(a, b))
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _big_vocab_file(path: Path, n_tokens: int) -> Path:
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_uint32("llama.block_count", 1)
    w.add_uint32("llama.embedding_length", 8)
    w.add_token_list([f"tok{i}" for i in range(n_tokens)])
    w.add_token_scores([float(i) for i in range(n_tokens)])
    w.add_token_types([1] * n_tokens)
    w.add_string("general.name", "after the vocabulary")
    w.add_array("llama.small_list", [1, 2, 3])
    w.add_tensor("token_embd.weight", np.ones((n_tokens // 100, 8), dtype=np.float32))
    w.add_tensor("blk.0.attn_norm.weight", np.ones(8, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def test_header_matches_the_gguf_package_on_the_test_models(test_models: Any) -> None:
    for path in (test_models.model, test_models.mmproj, test_models.cjk_model):
        small, big, n, total, end = _reference(path)
        info = read_gguf_info(path)
        assert set(info.metadata) == set(small), path.name
        assert all(_same(info.metadata[k], v) for k, v in small.items()), path.name
        assert not big & set(info.metadata)
        assert (info.n_tensors, info.tensor_bytes) == (n, total)
        assert info.tensor_bytes == info.non_layer_bytes + sum(info.layer_bytes)
        assert end <= info.file_size


def test_long_arrays_are_skipped_and_what_follows_them_is_read(tmp_path: Path) -> None:
    path = _big_vocab_file(tmp_path / "big.gguf", 3 * BIG_ARRAY)
    small, big, n, total, _ = _reference(path)
    info = read_gguf_info(path)
    assert big == {"tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type"}
    assert not big & set(info.metadata)
    assert info.name == "after the vocabulary" and info.get("llama.small_list") == [1, 2, 3]
    assert info.n_layers == 1 and info.n_embd == 8
    assert set(info.metadata) == set(small)
    assert (info.n_tensors, info.tensor_bytes) == (n, total) == (2, (3 * BIG_ARRAY // 100) * 8 * 4 + 8 * 4)
    assert info.layer_bytes == (32,)

    # Cut inside the vocabulary, or inside the tensor data: a truncated file, never a partial answer.
    data = path.read_bytes()
    for cut in (len(data) // 4, len(data) - 16):
        cut_path = tmp_path / f"cut{cut}.gguf"
        cut_path.write_bytes(data[:cut])
        with pytest.raises(TruncatedGGUF):
            read_gguf_info(cut_path)
