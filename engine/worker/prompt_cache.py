"""What the engine process has evaluated for the active conversation, and what a new prompt reuses.

The prompt is split at media markers into alternating text and image parts. The cache holds the
same alternation as evaluated segments: text with its tokens and the bytes each token stands for,
images by pixel digest. A new prompt keeps the longest common prefix — images whole, text down to
the token, compared as text so that an answer generated last turn is reused even when tokenizing
its text again would give other tokens — and evaluates only the rest.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Sequence


@dataclasses.dataclass
class TextSegment:
    """Evaluated text: ``ends[i]`` is the byte length of ``text`` covered by ``tokens[:i+1]``."""

    tokens: list[int] = dataclasses.field(default_factory=list)
    ends: list[int] = dataclasses.field(default_factory=list)
    text: bytes = b""

    def append(self, token: int, piece: bytes) -> None:
        """Add one evaluated token and the bytes it stands for."""
        self.text += piece
        self.tokens.append(token)
        self.ends.append(len(self.text))

    def extend(self, tokens: Sequence[int], pieces: Sequence[bytes]) -> None:
        """Add several evaluated tokens."""
        for t, p in zip(tokens, pieces, strict=True):
            self.append(t, p)

    def truncated(self, n: int) -> TextSegment:
        """The first ``n`` tokens."""
        end = self.ends[n - 1] if n else 0
        return TextSegment(self.tokens[:n], self.ends[:n], self.text[:end])


@dataclasses.dataclass(frozen=True)
class ImageSegment:
    """An evaluated image (with any marker tokens libmtmd wraps it in)."""

    digest: str
    n_pos: int
    n_tokens: int


Segment = TextSegment | ImageSegment


@dataclasses.dataclass(frozen=True)
class TextPart:
    """Prompt text still to evaluate; ``first`` means BOS may be added."""

    text: bytes
    first: bool = False


@dataclasses.dataclass(frozen=True)
class ImagePart:
    """Image ``index`` of the request, identified by ``digest``."""

    index: int
    digest: str


Part = TextPart | ImagePart


@dataclasses.dataclass
class ReusePlan:
    """What to keep from the cache and what to evaluate."""

    kept: list[Segment]
    keep_pos: int
    todo: list[Part]


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


def _common_prefix(a: bytes, b: bytes) -> int:
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    lo, hi = 0, n  # binary search on the first difference
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def plan_reuse(cache: Sequence[Segment], parts: Sequence[Part]) -> ReusePlan:
    """Keep the longest prefix of ``cache`` that ``parts`` begins with; the rest is to do."""
    kept: list[Segment] = []
    pos = 0
    for i, part in enumerate(parts):
        seg = cache[i] if i < len(cache) else None
        if isinstance(part, ImagePart):
            if isinstance(seg, ImageSegment) and seg.digest == part.digest:
                kept.append(seg)
                pos += seg.n_pos
                continue
            return ReusePlan(kept, pos, list(parts[i:]))
        if not isinstance(seg, TextSegment):
            return ReusePlan(kept, pos, list(parts[i:]))
        if seg.text == part.text and i + 1 < len(parts):
            kept.append(seg)
            pos += len(seg.tokens)
            continue
        common = _common_prefix(seg.text, part.text)
        n = bisect.bisect_right(seg.ends, common)
        head = seg.truncated(n)
        kept.append(head)
        pos += n
        rest = TextPart(part.text[len(head.text):], first=part.first and n == 0)
        return ReusePlan(kept, pos, [rest, *parts[i + 1:]])
    return ReusePlan(kept, pos, [])
