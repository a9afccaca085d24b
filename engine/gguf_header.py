"""Reads GGUF headers with the ``gguf`` package, without loading llama.cpp.

Used before loading (clear errors for missing, foreign, truncated and mismatched files), by the
layer-fit arithmetic (tensor sizes per layer) and by the model manager (pairing, quantization).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

from .errors import ModelFileMissing, NotAGGUF, NotAProjector, ProjectorMismatch, TruncatedGGUF

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


def _value(field: Any) -> Any:
    """A reader field's value as plain Python (str, int, float, bool or list)."""
    try:
        return field.contents()
    except Exception:  # older gguf versions: decode by hand
        parts = field.parts
        if not field.types:
            return None
        if len(field.data) == 1:
            raw = parts[field.data[0]]
            return bytes(raw).decode("utf-8", "replace") if raw.dtype.kind == "u" and raw.dtype.itemsize == 1 \
                else raw.tolist()[0]
        return [parts[i].tolist() for i in field.data]


def read_gguf_info(path: Path, *, what: str = "model") -> GGUFInfo:
    """Read and sanity-check a GGUF file's header and tensor table.

    Raises ``ModelFileMissing``, ``NotAGGUF`` or ``TruncatedGGUF`` with a message naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileMissing(path, what)
    size = path.stat().st_size
    if size == 0:
        raise TruncatedGGUF(path, "the file is empty")
    with path.open("rb") as f:
        magic = f.read(4)
    if len(magic) < 4:
        raise TruncatedGGUF(path, f"only {size} bytes") if magic == GGUF_MAGIC[: len(magic)] else NotAGGUF(path)
    if magic != GGUF_MAGIC:
        raise NotAGGUF(path)

    import gguf  # deferred: numpy import cost only when needed

    try:
        reader = gguf.GGUFReader(str(path), "r")
    except Exception as exc:  # the reader fails in many ways on a cut-off header
        raise TruncatedGGUF(path, f"the header cannot be read: {exc}") from exc

    metadata: dict[str, Any] = {}
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        try:
            metadata[key] = _value(field)
        except Exception:  # an odd value must not stop us from reading the rest
            continue

    layer_bytes: dict[int, int] = {}
    non_layer = 0
    data_end = 0
    total = 0
    for t in reader.tensors:
        n = int(t.n_bytes)
        total += n
        data_end = max(data_end, int(t.data_offset) + n)
        m = _LAYER.match(t.name)
        if m:
            layer_bytes[int(m.group(1))] = layer_bytes.get(int(m.group(1)), 0) + n
        else:
            non_layer += n
    if data_end > size:
        raise TruncatedGGUF(path, f"tensor data needs {data_end} bytes, the file has {size}")

    arch = str(metadata.get("general.architecture", "") or "")
    layers = tuple(layer_bytes.get(i, 0) for i in range(max(layer_bytes) + 1)) if layer_bytes else ()
    return GGUFInfo(path=path, architecture=arch, name=str(metadata.get("general.name", "") or path.stem),
                    file_size=size, tensor_bytes=total, n_tensors=len(reader.tensors), metadata=metadata,
                    layer_bytes=layers, non_layer_bytes=non_layer)


def check_pair(model: GGUFInfo, mmproj: GGUFInfo) -> None:
    """Raise ``NotAProjector`` or ``ProjectorMismatch`` unless ``mmproj`` can feed ``model``."""
    if not mmproj.is_projector:
        raise NotAProjector(mmproj.path, mmproj.architecture or "unknown")
    if model.is_projector:
        raise NotAProjector(model.path, "clip (a projector was given as the model)")
    proj, embd = mmproj.projection_dim, model.n_embd
    # Qwen3-VL style "deepstack" projectors hand over several layers' features side by side.
    deepstack = int(model.arch_get("n_deepstack_layers", 0) or 0)
    if proj is not None and embd is not None and proj not in (embd, embd * (1 + deepstack)):
        raise ProjectorMismatch(model.path, mmproj.path, embd, proj)
