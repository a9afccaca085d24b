"""What the engine process has evaluated for the active conversation, and what a new prompt reuses.

The prompt is split at media markers into alternating text and image parts; each text part is
tokenized the same way a cold start would. The cache holds the same alternation as evaluated
segments: text as token ids, images by pixel digest. A new prompt keeps the longest common prefix —
images whole, text down to the token — and evaluates only the rest, so the result is exactly what a
cold start would compute. An answer generated last turn is reused as long as its text tokenizes back
to the tokens that were generated, which is nearly always the case.

One exception, for speed on the CPU (``widen_small_batch``): llama.cpp's CPU flash attention switches
to a tiled kernel once a batch holds 64 tokens (``GGML_FA_TILE_Q`` in ggml-cpu); below that every
token of the batch walks the whole cache on its own. With ``llama-bench`` on the 1.1B benchmark
decoder at depth 642, on 1, 4 and 16 threads of a Xeon, a 63-token batch took 2.6-2.8x as long as a
64-token one, and a 64-token batch cost as much as a 16-24-token one. So a short follow-up deep in a
conversation is evaluated together with the last few cached text tokens, up to 64: the same values a
cold start computes for those positions, for less time.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence


@dataclasses.dataclass
class TextSegment:
    """Evaluated text tokens."""

    tokens: list[int] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class ImageSegment:
    """An evaluated image (with any marker tokens libmtmd wraps it in)."""

    digest: str
    n_pos: int
    n_tokens: int


Segment = TextSegment | ImageSegment


@dataclasses.dataclass(frozen=True)
class TextPart:
    """Prompt text; ``first`` means BOS may be added when it is tokenized."""

    text: bytes
    first: bool = False


@dataclasses.dataclass(frozen=True)
class ImagePart:
    """Image ``index`` of the request, identified by ``digest``."""

    index: int
    digest: str


Part = TextPart | ImagePart
Item = TextSegment | ImagePart  # a tokenized part


@dataclasses.dataclass
class ReusePlan:
    """What to keep from the cache and what to evaluate."""

    kept: list[Segment]
    keep_pos: int
    todo: list[Item]


FA_TILE = 64  # batch size from which llama.cpp's CPU flash attention uses its tiled kernel
WIDEN_COST = 260  # widen when (FA_TILE - n) * WIDEN_COST <= n * depth (fitted to the figures above)


def widen_small_batch(plan: ReusePlan, tile: int = FA_TILE, cost: int = WIDEN_COST) -> ReusePlan:
    """Move the last cached text tokens back into a short text-only batch so it holds ``tile`` tokens.

    Only where that is cheaper: the batch's ``n`` tokens would each attend to the ``depth`` positions
    already cached (``n * depth``) while the widening adds ``tile - n`` tokens of the model's other work
    (``cost`` per token, in the same units). Returns ``plan`` unchanged otherwise, or when the todo is
    not one run of text or the cache does not end in enough text tokens.
    """
    if len(plan.todo) != 1 or not isinstance(plan.todo[0], TextSegment) or not plan.kept:
        return plan
    new = plan.todo[0].tokens
    n, last = len(new), plan.kept[-1]
    k = tile - n
    if n == 0 or k <= 0 or not isinstance(last, TextSegment) or len(last.tokens) < k:
        return plan
    if n * plan.keep_pos < k * cost:
        return plan
    kept = [*plan.kept[:-1], TextSegment(last.tokens[:-k])]
    return ReusePlan(kept, plan.keep_pos - k, [TextSegment(last.tokens[-k:] + new)])


def segment_positions(seg: Segment) -> int:
    """How many KV positions a segment takes."""
    return len(seg.tokens) if isinstance(seg, TextSegment) else seg.n_pos


def cells_beyond_positions(cache: Sequence[Segment]) -> int:
    """KV cells the cached images take beyond their positions (M-RoPE: an image's tokens share positions)."""
    return sum(s.n_tokens - s.n_pos for s in cache if isinstance(s, ImageSegment))


def holds_any(cache: Sequence[Segment], digests: Sequence[str]) -> bool:
    """Whether one of these pictures is in the cache."""
    return any(isinstance(s, ImageSegment) and s.digest in digests for s in cache)


def append_text(cache: list[Segment], seg: TextSegment) -> None:
    """Add evaluated text at the end, to the text segment there if there is one."""
    if cache and isinstance(cache[-1], TextSegment):
        cache[-1].tokens.extend(seg.tokens)
    else:
        cache.append(TextSegment(list(seg.tokens)))


def split_prompt(prompt: str, marker: str, digests: Sequence[str]) -> list[Part]:
    """Alternating text and image parts; raises ValueError if markers and images disagree."""
    pieces = prompt.split(marker)
    if len(pieces) - 1 != len(digests):
        raise ValueError(f"the prompt has {len(pieces) - 1} image markers for {len(digests)} images")
    parts: list[Part] = []
    for i, text in enumerate(pieces):
        parts.append(TextPart(text.encode("utf-8"), first=(i == 0)))
        if i < len(digests):
            parts.append(ImagePart(i, digests[i]))
    return parts


def plan_reuse(cache: Sequence[Segment], items: Sequence[Item]) -> ReusePlan:
    """Keep the longest prefix of ``cache`` that ``items`` begins with; the rest is to do."""
    kept: list[Segment] = []
    pos = 0
    for i, item in enumerate(items):
        seg = cache[i] if i < len(cache) else None
        if isinstance(item, ImagePart):
            if isinstance(seg, ImageSegment) and seg.digest == item.digest:
                kept.append(seg)
                pos += seg.n_pos
                continue
            return ReusePlan(kept, pos, list(items[i:]))
        if not isinstance(seg, TextSegment):
            return ReusePlan(kept, pos, list(items[i:]))
        n = len(os.path.commonprefix([seg.tokens, item.tokens]))
        if n == len(seg.tokens) == len(item.tokens) and i + 1 < len(items):
            kept.append(seg)
            pos += n
            continue
        kept.append(TextSegment(seg.tokens[:n]))
        pos += n
        return ReusePlan(kept, pos, [TextSegment(item.tokens[n:]), *items[i + 1:]])
    return ReusePlan(kept, pos, [])
