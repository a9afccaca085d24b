"""What GGUF file names say: which file is a projector, which quantization a model file carries.

Repositories name files in many ways (``gemma-3-4b-it-Q4_K_M.gguf``, ``ggml-model-q4_k.gguf``,
``mmproj-model-f16.gguf``, ``moondream2-mmproj-f16-20250414.gguf``), so these are heuristics; the
GGUF header is checked after the download anyway.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

DEFAULT_QUANT = "Q4_K_M"
# Preference when the requested quantization is missing: good quality per byte first.
QUANT_PREFERENCE = ("Q4_K_M", "Q4_K", "Q4_K_S", "Q5_K_M", "Q5_K", "Q4_0", "Q6_K", "Q8_0", "IQ4_XS",
                    "Q3_K_M", "F16", "BF16", "F32")
_QUANT = re.compile(
    r"(?<![A-Za-z0-9])(I?Q[1-8](?:_[0-9A-Z]+)*(?:_[SMLX]+)?|BF16|F16|F32|FP16)(?![A-Za-z0-9])", re.IGNORECASE)
_SPLIT = re.compile(r"-\d{5}-of-(\d{5})\.gguf$", re.IGNORECASE)
# Characters no folder name may hold on some platform: Windows' reserved ones and control characters.
_UNSAFE_IN_FOLDER = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f-\x9f]')
_WINDOWS_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(\.|$)", re.IGNORECASE)
MAX_FOLDER_NAME_BYTES = 200  # file systems allow 255 bytes per name; room left for a "-2" suffix


def is_gguf(name: str) -> bool:
    """Whether a repository path is a GGUF file."""
    return name.lower().endswith(".gguf")


def is_mmproj_name(name: str) -> bool:
    """Whether a GGUF file name marks a vision/audio projector."""
    base = name.rsplit("/", 1)[-1].lower()
    return is_gguf(base) and ("mmproj" in base or base.startswith("clip-") or "-clip-" in base)


def is_split_part(name: str) -> bool:
    """Whether the file is one part of a split GGUF (not supported by VisionDesk downloads yet)."""
    return _SPLIT.search(name) is not None


def quant_from_filename(name: str) -> str | None:
    """The quantization tag in a file name, upper-cased (``Q4_K_M``), or None."""
    base = name.rsplit("/", 1)[-1]
    if base.lower().endswith(".gguf"):
        base = base[:-5]
    found = _QUANT.findall(base)
    if not found:
        return None
    tag = found[-1].upper()
    return "F16" if tag == "FP16" else tag


def pick_model_file(names: Iterable[str], quant: str | None) -> str | None:
    """The model (non-projector) GGUF with the requested quantization, or the best available one."""
    models = [n for n in names if is_gguf(n) and not is_mmproj_name(n) and not is_split_part(n)]
    if not models:
        return None
    by_quant: dict[str, str] = {}
    for n in sorted(models, key=len):
        q = quant_from_filename(n)
        if q is not None:
            by_quant.setdefault(q, n)
    if quant is not None:
        return by_quant.get(quant.upper())
    for q in QUANT_PREFERENCE:
        if q in by_quant:
            return by_quant[q]
    return sorted(models)[0]


def pick_mmproj_file(names: Iterable[str]) -> str | None:
    """The projector to pair with: F16 first (what llama.cpp's docs use), then Q8_0, then anything."""
    projs = sorted(n for n in names if is_mmproj_name(n))
    if not projs:
        return None
    for q in ("F16", "BF16", "Q8_0", "F32"):
        for n in projs:
            if quant_from_filename(n) == q:
                return n
    return projs[0]


def safe_folder_name(name: str) -> str:
    """A folder name for ``name`` that works on every platform, keeping its letters (Chinese stays Chinese).

    NFC-normalised (macOS would otherwise store decomposed accents); characters Windows forbids and
    control characters become ``_``; dots and spaces at either end go (Windows drops trailing ones,
    Unix hides leading dots); reserved device
    names (``CON``, ``NUL``, ``COM1``...) get a ``_``; at most ``MAX_FOLDER_NAME_BYTES`` bytes of UTF-8.
    """
    safe = _UNSAFE_IN_FOLDER.sub("_", unicodedata.normalize("NFC", name)).strip(". ")
    if _WINDOWS_RESERVED.match(safe):
        safe = "_" + safe
    encoded = safe.encode("utf-8")
    if len(encoded) > MAX_FOLDER_NAME_BYTES:
        safe = encoded[:MAX_FOLDER_NAME_BYTES].decode("utf-8", "ignore").rstrip(". ")
    return safe if safe.strip("._") else "unnamed"
