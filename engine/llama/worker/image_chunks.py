"""One image of a request as libmtmd sees it: an RGB bitmap tokenized into chunks, not yet encoded."""

from __future__ import annotations

import ctypes
import mmap
from typing import Any

import numpy as np
from llama_cpp import mtmd_cpp

from ...errors import EngineFailure
from ..image_cache import ImageRef
from .prompt_cache import ImagePart


class PendingImage:
    """An image of this request, tokenized by libmtmd; frees its native objects."""

    def __init__(self, part: ImagePart, bitmap: int, handle: int, chunks: list[int]) -> None:
        self.part, self.bitmap, self.handle, self.chunks = part, bitmap, handle, chunks

    def n_pos(self) -> int:
        """KV positions the image takes, marker tokens included."""
        return sum(mtmd_cpp.mtmd_input_chunk_get_n_pos(c) for c in self.chunks)

    def n_tokens(self) -> int:
        """Tokens (embeddings) the image takes, marker tokens included."""
        return sum(mtmd_cpp.mtmd_input_chunk_get_n_tokens(c) for c in self.chunks)

    def free(self) -> None:
        """Release the chunks and the bitmap."""
        if self.handle:
            mtmd_cpp.mtmd_input_chunks_free(self.handle)
            self.handle = 0
        if self.bitmap:
            mtmd_cpp.mtmd_bitmap_free(self.bitmap)
            self.bitmap = 0


def tokenize_image(mtmd: Any, marker: bytes, part: ImagePart, ref: ImageRef, pixel_file: str) -> PendingImage:
    """Bitmap and libmtmd chunks of one image (preprocessed, not yet encoded).

    The prepared pixels are memory-mapped from ``pixel_file`` (the parent's pixel cache) and copied once,
    by libmtmd, into its bitmap. The image is tokenized alone (its marker without text), so the chunks are
    exactly what libmtmd makes of this image: any begin/end marker tokens of the model plus the image (or
    its slices).
    """
    try:
        with open(pixel_file, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            if len(mapped) != ref.width * ref.height * 3:
                raise EngineFailure(f"the pixels of {ref.label} do not match its size.")
            view = np.frombuffer(mapped, dtype=np.uint8)
            bitmap = mtmd_cpp.mtmd_bitmap_init(ref.width, ref.height, view.ctypes.data_as(
                ctypes.POINTER(ctypes.c_ubyte)))
            del view  # the map cannot close while an array still exports its buffer
    except (OSError, ValueError) as exc:
        raise EngineFailure(f"the prepared pixels of {ref.label} could not be read ({exc}).") from exc
    if not bitmap:
        raise EngineFailure(f"libmtmd could not take the image {ref.label}.")
    mtmd_cpp.mtmd_bitmap_set_id(bitmap, ref.digest.encode())
    chunks = mtmd_cpp.mtmd_input_chunks_init()
    pending = PendingImage(part, bitmap, chunks, [])
    text = mtmd_cpp.mtmd_input_text(marker, len(marker), False, True)
    arr = (mtmd_cpp.mtmd_bitmap_p_ctypes * 1)(bitmap)
    rc = mtmd_cpp.mtmd_tokenize(mtmd, chunks, ctypes.byref(text), arr, 1)
    if rc != 0:
        pending.free()
        raise EngineFailure(f"libmtmd could not prepare the image {ref.label} (code {rc}).")
    pending.chunks = [mtmd_cpp.mtmd_input_chunks_get(chunks, i) for i in range(mtmd_cpp.mtmd_input_chunks_size(chunks))]
    return pending


def output_embeddings(mtmd: Any, chunk: Any, n_embd_inp: int) -> np.ndarray:
    """The embeddings libmtmd's last ``mtmd_encode_chunk`` of ``chunk`` left, copied out of its one output buffer."""
    n = mtmd_cpp.mtmd_input_chunk_get_n_tokens(chunk) * n_embd_inp
    out = ctypes.cast(mtmd_cpp.mtmd_get_output_embd(mtmd), ctypes.POINTER(ctypes.c_float))
    return np.ctypeslib.as_array(out, shape=(n,)).copy()
