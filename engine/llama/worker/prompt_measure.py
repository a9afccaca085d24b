"""What a prompt will take in the context, measured in the child without evaluating anything.

Text parts are tokenized as ``Runtime.chat`` tokenizes them; each image goes through libmtmd's own
preprocessing and tokenizer (``mtmd_tokenize``: resize, slices, marker tokens), not its encoder, so
the counts are those a chat would then evaluate, at the cost of a resize.
"""

from __future__ import annotations

from typing import Any

import llama_cpp
from llama_cpp import mtmd_cpp

from ...errors import EngineFailure
from ..image_cache import ImageRef
from .image_chunks import tokenize_image
from .model_loader import LoadedModel
from .prompt_cache import ImagePart, TextPart, split_prompt


def _count_text_tokens(m: LoadedModel, text: bytes, add_special: bool) -> int:
    if not text and not add_special:
        return 0
    cap = len(text) + 16
    arr = (llama_cpp.llama_token * cap)()
    n = llama_cpp.llama_tokenize(m.vocab, text, len(text), arr, cap, add_special, True)
    if n < 0:
        arr = (llama_cpp.llama_token * -n)()
        n = llama_cpp.llama_tokenize(m.vocab, text, len(text), arr, -n, add_special, True)
    return int(n)


def _image_view(m: LoadedModel, ref: ImageRef, pixel_file: str) -> dict[str, Any]:
    """Tokens, positions and per-chunk token grids of one image, as libmtmd will lay it out."""
    pending = tokenize_image(m.mtmd, m.marker, ImagePart(0, ref.digest), ref, pixel_file)
    try:
        chunks: list[dict[str, int]] = []
        marker_tokens = 0
        for chunk in pending.chunks:
            n_tok = int(mtmd_cpp.mtmd_input_chunk_get_n_tokens(chunk))
            if mtmd_cpp.mtmd_input_chunk_get_type(chunk) == mtmd_cpp.MTMD_INPUT_CHUNK_TYPE_IMAGE:
                image = mtmd_cpp.mtmd_input_chunk_get_tokens_image(chunk)
                chunks.append({"n_tokens": n_tok, "nx": int(mtmd_cpp.mtmd_image_tokens_get_nx(image)),
                               "ny": int(mtmd_cpp.mtmd_image_tokens_get_ny(image))})
            else:
                marker_tokens += n_tok
        return {"n_tokens": pending.n_tokens(), "n_pos": pending.n_pos(), "marker_tokens": marker_tokens,
                "chunks": chunks}
    finally:
        pending.free()


def measure_prompt(m: LoadedModel | None, prompt: str, images: tuple[ImageRef, ...],
                   pixel_files: tuple[str, ...]) -> dict[str, Any]:
    """Text tokens of ``prompt`` (markers excluded) and the layout of each image, in order."""
    if m is None:
        raise EngineFailure("No model is loaded.")
    if images:
        m.projector()  # opens a deferred projector; raises ImagesNeedProjector without one
    text_tokens = 0
    views = []
    for part in split_prompt(prompt, m.marker.decode(), [i.digest for i in images]):
        if isinstance(part, TextPart):
            text_tokens += _count_text_tokens(m, part.text, part.first)
        else:
            views.append(_image_view(m, images[part.index], pixel_files[part.index]))
    image_tokens = sum(v["n_tokens"] for v in views)
    return {"text_tokens": text_tokens, "images": views, "n_ctx": m.n_ctx,
            "prompt_tokens": text_tokens + image_tokens}
