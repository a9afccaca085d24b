"""Reads GGUF headers with the ``gguf`` package, without loading llama.cpp.

Used before loading (clear errors for missing, foreign, truncated and mismatched files), by the
layer-fit arithmetic (tensor sizes per layer) and by the model manager (pairing, quantization).
"""

from __future__ import annotations

import dataclasses
import io
import math
import re
import struct
from pathlib import Path
from typing import Any

from .errors import ModelFileMissing, NotAGGUF, NotAModelFile, NotAProjector, ProjectorMismatch, TruncatedGGUF
from .file_kind import path_problem

GGUF_MAGIC = b"GGUF"
_LAYER = re.compile(r"^(?:blk|v\.blk|mm\.blk)\.(\d+)\.")


@dataclasses.dataclass(frozen=True)
class GGUFInfo:
    """What VisionDesk needs to know of one GGUF file."""

    path: Path
    architecture: str
    name: str
    file_size: int
    tensor_bytes: int
    n_tensors: int
    metadata: dict[str, Any]
    layer_bytes: tuple[int, ...]  # bytes of blk.N.* tensors, by N
    non_layer_bytes: int  # embeddings, output head, norms

    @property
    def is_projector(self) -> bool:
        """Whether this is a vision/audio projector (mmproj)."""
        return self.architecture == "clip"

    def get(self, key: str, default: Any = None) -> Any:
        """A metadata value."""
        return self.metadata.get(key, default)

    def arch_get(self, key: str, default: Any = None) -> Any:
        """A metadata value under the architecture's prefix, e.g. ``embedding_length``."""
        return self.metadata.get(f"{self.architecture}.{key}", default)

    @property
    def n_embd(self) -> int | None:
        """The text model's embedding width."""
        v = self.arch_get("embedding_length")
        return int(v) if v is not None else None

    @property
    def n_layers(self) -> int:
        """Transformer blocks of the text model."""
        return int(self.arch_get("block_count", len(self.layer_bytes)) or 0)

    @property
    def context_length(self) -> int | None:
        """Training context length."""
        v = self.arch_get("context_length")
        return int(v) if v is not None else None

    @property
    def chat_template(self) -> str | None:
        """The Jinja chat template stored in the file, if any."""
        v = self.metadata.get("tokenizer.chat_template")
        return str(v) if v else None

    @property
    def projection_dim(self) -> int | None:
        """For a projector: the width of the embeddings it hands the text model."""
        v = self.metadata.get("clip.vision.projection_dim")
        if v is None:
            v = self.metadata.get("clip.audio.projection_dim")
        return int(v) if v is not None else None

    @property
    def projector_type(self) -> str | None:
        """For a projector: its type (mlp, gemma3, qwen2.5vl_merger, ...)."""
        v = self.metadata.get("clip.vision.projector_type") or self.metadata.get("clip.projector_type")
        return str(v) if v else None

    @property
    def has_vision(self) -> bool:
        """For a projector: whether it encodes images."""
        return bool(self.metadata.get("clip.has_vision_encoder", False))

    def kv_bytes_per_token_per_layer(self) -> int:
        """KV cache bytes (f16) one token takes in one layer."""
        n_head = int(self.arch_get("attention.head_count", 1) or 1)
        n_head_kv = self.arch_get("attention.head_count_kv", n_head) or n_head
        if isinstance(n_head_kv, list):  # per-layer head counts
            n_head_kv = max(int(x) for x in n_head_kv) or n_head
        embd = self.n_embd or 0
        k_len = int(self.arch_get("attention.key_length", embd // max(n_head, 1)))
        v_len = int(self.arch_get("attention.value_length", embd // max(n_head, 1)))
        return 2 * int(n_head_kv) * (k_len + v_len)


# GGUF value types (gguf.GGUFValueType): struct formats of the scalar ones; 8 is a string, 9 an array.
_SCALAR = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9
BIG_ARRAY = 4096  # arrays longer than this (the vocabulary, its scores and types) are skipped, not kept
_SKIPPED = object()  # what _Header.value returns for such an array


class _Header:
    """A little-endian GGUF header read front to back from one buffered file (``struct`` on slices)."""

    def __init__(self, f: Any) -> None:
        self.f = f

    def take(self, n: int) -> bytes:
        b: bytes = self.f.read(n)
        if len(b) != n:
            raise EOFError("the header ends early")
        return b

    def unpack(self, fmt: str) -> Any:
        return struct.unpack("<" + fmt, self.take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        n = self.unpack("Q")
        if n > 1 << 30:
            raise ValueError(f"a string of {n} bytes")
        return self.take(n).decode("utf-8", "replace")

    def value(self, vtype: int) -> Any:
        if vtype in _SCALAR:
            return self.unpack(_SCALAR[vtype])
        if vtype == _STRING:
            return self.string()
        if vtype != _ARRAY:
            raise ValueError(f"unknown value type {vtype}")
        etype, count = self.unpack("I"), self.unpack("Q")
        if count <= BIG_ARRAY:
            return [self.value(etype) for _ in range(count)]
        if etype in _SCALAR:  # skip without reading
            self.f.seek(count * struct.calcsize(_SCALAR[etype]), 1)
        elif etype == _STRING:
            for _ in range(count):
                self.f.seek(self.unpack("Q"), 1)
        else:
            raise ValueError(f"an array of {count} values of type {etype}")
        return _SKIPPED


def _read_header(f: Any) -> tuple[dict[str, Any], list[tuple[str, int, int]]]:
    """The metadata (arrays longer than ``BIG_ARRAY`` left out) and, per tensor, (name, bytes, data offset).

    ``f`` is a seekable binary file positioned at byte 0. Read directly rather than with
    ``gguf.GGUFReader``, which makes numpy views of every element of every array: ~6–12 s for Gemma 3's
    262,144-token vocabulary, which the engine reads on each load. Raises ``EOFError`` when the header
    goes on past the end of ``f``.
    """
    import gguf  # deferred: numpy import cost only when needed

    h = _Header(f)
    if h.take(4) != GGUF_MAGIC:
        raise ValueError("not a GGUF file")
    version = h.unpack("I")
    if version not in (2, 3):
        raise ValueError(f"GGUF version {version} (a big-endian or unknown file)")
    n_tensors, n_kv = h.unpack("Q"), h.unpack("Q")
    metadata: dict[str, Any] = {}
    for _ in range(n_kv):
        key = h.string()
        value = h.value(h.unpack("I"))
        if value is not _SKIPPED:
            metadata[key] = value
    infos = []
    for _ in range(n_tensors):
        name = h.string()
        dims = [h.unpack("Q") for _ in range(h.unpack("I"))]
        ttype, offset = h.unpack("I"), h.unpack("Q")
        block, size = gguf.GGML_QUANT_SIZES[gguf.GGMLQuantizationType(ttype)]
        infos.append((name, math.prod(dims) // block * size, offset))
    align = int(metadata.get("general.alignment", 32) or 32)
    start = -(-f.tell() // align) * align
    return metadata, [(name, n, start + offset) for name, n, offset in infos]


def read_gguf_info(path: Path, *, what: str = "model") -> GGUFInfo:
    """Read and sanity-check a GGUF file's header and tensor table.

    Raises ``ModelFileMissing``, ``NotAModelFile`` (a folder, a link loop, a pipe...), ``NotAGGUF`` or
    ``TruncatedGGUF`` with a message naming the file.
    """
    path = Path(path)
    problem = path_problem(path)
    if problem == "missing":
        raise ModelFileMissing(path, what)
    if problem is not None:
        raise NotAModelFile(path, what, problem)
    size = path.stat().st_size
    if size == 0:
        raise TruncatedGGUF(path, "the file is empty")
    with path.open("rb") as f:
        magic = f.read(4)
    if len(magic) < 4:
        raise TruncatedGGUF(path, f"only {size} bytes") if magic == GGUF_MAGIC[: len(magic)] else NotAGGUF(path)
    if magic != GGUF_MAGIC:
        raise NotAGGUF(path)

    try:
        with path.open("rb", buffering=1 << 20) as f:
            metadata, tensors = _read_header(f)
    except Exception as exc:  # a cut-off or damaged header fails in many ways
        raise TruncatedGGUF(path, f"the header cannot be read: {exc}") from exc
    return _info(path, size, metadata, tensors)


def gguf_info_from_prefix(prefix: bytes, name: str, file_size: int | None) -> GGUFInfo | None:
    """The header of a file known only by its first bytes (a Range request); None if it goes on past them.

    ``file_size`` is the whole file's size, when known. Raises ``NotAGGUF`` or ``TruncatedGGUF`` (naming
    ``name``) when the bytes show the file is not a usable GGUF.
    """
    path = Path(name)
    complete = file_size is not None and len(prefix) >= file_size
    if prefix[:4] != GGUF_MAGIC[: len(prefix[:4])]:
        raise NotAGGUF(path)
    try:
        metadata, tensors = _read_header(io.BytesIO(prefix))
    except EOFError as exc:
        if complete:
            raise TruncatedGGUF(path, f"the header cannot be read: {exc}") from exc
        return None
    except Exception as exc:
        raise TruncatedGGUF(path, f"the header cannot be read: {exc}") from exc
    return _info(path, file_size, metadata, tensors)


def _info(path: Path, size: int | None, metadata: dict[str, Any],
          tensors: list[tuple[str, int, int]]) -> GGUFInfo:
    """Sum the tensor table up by layer; ``TruncatedGGUF`` if the tensors reach past ``size``."""
    layer_bytes: dict[int, int] = {}
    non_layer = 0
    data_end = 0
    total = 0
    for name, n, offset in tensors:
        total += n
        data_end = max(data_end, offset + n)
        m = _LAYER.match(name)
        if m:
            layer_bytes[int(m.group(1))] = layer_bytes.get(int(m.group(1)), 0) + n
        else:
            non_layer += n
    if size is not None and data_end > size:
        raise TruncatedGGUF(path, f"tensor data needs {data_end} bytes, the file has {size}")

    arch = str(metadata.get("general.architecture", "") or "")
    layers = tuple(layer_bytes.get(i, 0) for i in range(max(layer_bytes) + 1)) if layer_bytes else ()
    return GGUFInfo(path=path, architecture=arch, name=str(metadata.get("general.name", "") or path.stem),
                    file_size=size if size is not None else data_end, tensor_bytes=total, n_tensors=len(tensors),
                    metadata=metadata, layer_bytes=layers, non_layer_bytes=non_layer)


def check_pair(model: GGUFInfo, mmproj: GGUFInfo) -> None:
    """Raise ``NotAProjector`` or ``ProjectorMismatch`` unless ``mmproj`` can feed ``model``."""
    if not mmproj.is_projector:
        raise NotAProjector(mmproj.path, mmproj.architecture or "unknown")
    if model.is_projector:
        raise NotAProjector(model.path, model.architecture)
    proj, embd = mmproj.projection_dim, model.n_embd
    # Qwen3-VL style "deepstack" projectors hand over several layers' features side by side.
    deepstack = int(model.arch_get("n_deepstack_layers", 0) or 0)
    if proj is not None and embd is not None and proj not in (embd, embd * (1 + deepstack)):
        raise ProjectorMismatch(model.path, mmproj.path, embd, proj)
