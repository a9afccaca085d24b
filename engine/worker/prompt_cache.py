"""What the engine process has evaluated for the active conversation, and what a new prompt reuses.

The prompt is split at media markers into alternating text and image parts; each text part is
tokenized the same way a cold start would. The cache holds the same alternation as evaluated
segments: text as token ids, images by pixel digest. A new prompt keeps the longest common prefix —
images whole, text down to the token — and evaluates only the rest, so the result is exactly what a
cold start would compute. An answer generated last turn is reused as long as its text tokenizes back
to the tokens that were generated, which is nearly always the case.
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


def segment_positions(seg: Segment) -> int:
    """How many KV positions a segment takes."""
    return len(seg.tokens) if isinstance(seg, TextSegment) else seg.n_pos


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
