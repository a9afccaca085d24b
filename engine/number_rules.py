"""What each number a user can set may be, and the one sentence that says so when it is not.

The engine's request types check their fields with these rules, the command line parses its options
with them and the app's settings refuse (or, read from a file, replace) values that break them, so
``--ctx -5``, a context of 10^12 tokens or a temperature of NaN get the same plain sentence everywhere.
The bounds are what llama.cpp can run, wide enough for every real use and narrow enough to catch
typos: the app's settings keep their own, narrower ranges on top.
"""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

from .errors import InputError

MAX_CONTEXT_TOKENS = 10_000_000  # above the longest context any published model was trained for
MAX_THREADS = 512  # GGML_MAX_N_THREADS: ggml refuses more
MAX_GPU_LAYERS = 10_000  # far above any model's layer count; "auto" offloads them all
MAX_GPUS = 16  # LLAMA_MAX_DEVICES: the most GPUs llama.cpp splits a model over
MAX_SEED = 0xFFFFFFFF  # llama.cpp's seeds are 32-bit; this one (the default) means a new seed each time


class BadNumber(InputError):
    """A number outside its rule; ``clause`` is the sentence in lower case, for messages that prefix it.

    ``shown`` is the value refused, as the person wrote it (or as Python shows it), for a translated sentence.
    """

    code: ClassVar[str] = "bad_number"

    def __init__(self, clause: str, shown: str) -> None:
        self.clause, self.shown = clause, shown
        super().__init__(clause[0].upper() + clause[1:] + ".")


@dataclasses.dataclass(frozen=True)
class NumberRule:
    """A closed range ``[low, high]`` for one setting, and how to name the setting and the range to a person."""

    what: str  # completes "... must be": "the context size"
    valid: str  # what it must be, in words: "a positive number of tokens (at most 10,000,000)"
    low: float
    high: float
    whole: bool = True

    def sentence(self, value: object) -> str:
        """What is wrong, as a lower-case clause: "the context size must be a positive number ..., not -5"."""
        return f"{self.what} must be {self.valid}, not {self._shown(value)}"

    @staticmethod
    def _shown(value: object) -> str:
        return f"{value:g}" if isinstance(value, float) else repr(value)  # 1e+12, not 1000000000000.0

    def error(self, value: object) -> BadNumber:
        """The sentence as an ``InputError``, capitalised."""
        return BadNumber(self.sentence(value), self._shown(value))

    def follows(self, value: object) -> bool:
        """Whether ``value`` is a number (not a bool) inside the range, whole where the rule asks for it."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if isinstance(value, float) and (not math.isfinite(value) or (self.whole and not value.is_integer())):
            return False
        return self.low <= value <= self.high

    def check(self, value: object) -> int | float:
        """``value`` itself (as an ``int`` for whole rules), or ``InputError`` with the sentence."""
        if not self.follows(value):
            raise self.error(value)
        assert isinstance(value, int | float)
        return int(value) if self.whole else float(value)

    def parse(self, text: str) -> int | float:
        """A number typed by a person (a command-line option), or ``InputError`` naming it as it was typed."""
        try:
            value: int | float = int(text.strip()) if self.whole else float(text.strip())
        except ValueError:
            raise self.error(text) from None
        if not self.follows(value):
            raise BadNumber(f"{self.what} must be {self.valid}, not {text.strip()}", text.strip())
        return self.check(value)


CONTEXT_TOKENS = NumberRule("the context size", f"a positive number of tokens (at most {MAX_CONTEXT_TOKENS:,})",
                            1, MAX_CONTEXT_TOKENS)
MAX_TOKENS = NumberRule("the answer length (max tokens)",
                        f"a positive number of tokens (at most {MAX_CONTEXT_TOKENS:,})", 1, MAX_CONTEXT_TOKENS)
BATCH_TOKENS = NumberRule("the batch size", "a positive number of tokens (at most 1,048,576)", 1, 1 << 20)
THREADS = NumberRule("the number of threads", f"a whole number from 1 to {MAX_THREADS}", 1, MAX_THREADS)
GPU_LAYERS = NumberRule("the number of GPU layers", f"'auto' or a whole number from 0 to {MAX_GPU_LAYERS:,}",
                        0, MAX_GPU_LAYERS)
# Above a few, every token is about as likely as any other; 10 leaves room to experiment and refuses typos.
TEMPERATURE = NumberRule("the temperature", "a number from 0 to 10 (0 always picks the likeliest token)",
                         0, 10, whole=False)
TOP_P = NumberRule("top-p", "a number from 0 to 1", 0, 1, whole=False)
MIN_P = NumberRule("min-p", "a number from 0 to 1", 0, 1, whole=False)
TOP_K = NumberRule("top-k", "a whole number from 0 (off) to 1,000,000", 0, 1_000_000)
REPEAT_PENALTY = NumberRule("the repeat penalty", "a number from 0 to 10 (0 and 1 turn it off)", 0, 10,
                            whole=False)
REPEAT_LAST_N = NumberRule("the repeat window", f"a whole number of tokens from 0 to {MAX_CONTEXT_TOKENS:,}",
                           0, MAX_CONTEXT_TOKENS)
SEED = NumberRule("the seed", f"a whole number from 0 to {MAX_SEED} ({MAX_SEED} picks a new seed each time)",
                  0, MAX_SEED)
IMAGE_MAX_PIXELS = NumberRule("the image pixel limit", "a positive number of pixels (at most 10,000,000,000)",
                              1, 10_000_000_000)
IMAGE_TOKENS = NumberRule("the image token budget", "0 (the model's own) or a whole number of tokens up to 65,536",
                          0, 65_536)
PARALLEL = NumberRule("the number of parallel sequences",
                      "0 (as many as free memory allows) or a whole number from 1 to 256", 0, 256)
CACHED_IMAGES = NumberRule("the number of cached images", "a whole number from 0 to 100,000", 0, 100_000)
ENGINE_CACHE_MB = NumberRule("the disk cache's size", "0 (off) or a whole number of megabytes up to 10,000,000", 0,
                             10_000_000)
MAIN_GPU = NumberRule("the main GPU", f"a GPU's number, from 0 to {MAX_GPUS - 1}", 0, MAX_GPUS - 1)
GPU_SHARE = NumberRule("a GPU's share of the split", "a number from 0 to 1,000,000", 0, 1_000_000, whole=False)
_SPLIT_WORDS = ("auto", "even")
_SPLIT_VALID = (f"'auto', 'even' or one share per GPU separated by commas, such as 3,1 (at most {MAX_GPUS}, "
                "not all 0)")


class BadGpuSplit(BadNumber):
    """A GPU split that is no split; ``shown`` is what was given, as typed (or as Python shows it)."""

    code: ClassVar[str] = "bad_gpu_split"

    def __init__(self, shown: str) -> None:
        self.max_gpus = MAX_GPUS
        super().__init__(f"the GPU split must be {_SPLIT_VALID}, not {shown}", shown)


def check_gpu_split(split: object) -> str | tuple[float, ...]:
    """``split`` as the engine keeps it ("auto", "even" or a tuple of shares), or ``BadGpuSplit``."""
    if isinstance(split, str) and split in _SPLIT_WORDS:
        return split
    if isinstance(split, list | tuple) and 0 < len(split) <= MAX_GPUS:
        values = tuple(float(GPU_SHARE.check(s)) for s in split)
        if sum(values) > 0:
            return values
    raise BadGpuSplit(repr(split))


def parse_gpu_split(text: str) -> str | tuple[float, ...]:
    """A split typed by a person (``auto``, ``even``, ``3,1``), or ``BadGpuSplit`` naming it as it was typed."""
    word = text.strip().lower()
    if word in _SPLIT_WORDS:
        return word
    try:
        return check_gpu_split(tuple(float(part) for part in word.split(",")))
    except (ValueError, BadNumber):
        raise BadGpuSplit(text.strip()) from None
