"""The app's settings: one typed object, versioned, saved atomically as JSON.

``Settings`` is plain data. ``SettingsRepository`` reads and writes ``settings.json`` (``DataPaths.settings``):
a missing or corrupt file gives defaults (a corrupt one is kept aside as ``settings.json.corrupt``),
and saving never leaves a half-written file. Older files are upgraded by ``MIGRATIONS``.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar

from visiondesk.engine import defaults, number_rules

from .gpu_placement import normalize_gpu_placement
from .settings_error import SettingsError
from .settings_migrations import migrate
from .store_files import write_atomically

log = logging.getLogger(__name__)

DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant. Answer questions about the user's images accurately."
THEMES = ("system", "light", "dark")
LANGUAGES = ("en", "zh_CN")
GPU_LAYER_MODES = ("auto", "cpu")
PRESET_KEYS = ("temperature", "top_p", "max_tokens", "context_size", "system_prompt")
PRESET_NAME = "name"  # a preset's optional label for people; not a setting
# What the engine accepts at all: a value outside its rule (negative, absurd, NaN) is refused with the
# rule's sentence, or replaced by the default when read from a file.
RULES: dict[str, number_rules.NumberRule] = {
    "temperature": number_rules.TEMPERATURE,
    "top_p": number_rules.TOP_P,
    "max_tokens": number_rules.MAX_TOKENS,
    "context_size": number_rules.CONTEXT_TOKENS,
    "threads": number_rules.THREADS,
    "image_max_tokens": number_rules.IMAGE_TOKENS,
    "engine_cache_mb": number_rules.ENGINE_CACHE_MB,
    "batch_parallel": number_rules.PARALLEL,
}
# (minimum, maximum) the app offers, inside the rules above; validate() clamps into these.
LIMITS: dict[str, tuple[float, float]] = {
    "temperature": (0.0, 2.0),
    "top_p": (0.0, 1.0),
    "max_tokens": (1, 131072),
    "context_size": (256, 262144),
    "threads": (1, 256),
    "image_max_tokens": (0, 16384),
    "engine_cache_mb": (0, 1_048_576),
    "batch_parallel": (0, 8),  # the Batch page offers Auto (0), 1, 2, 4 and 8
}


@dataclass
class Settings:
    """Everything the user can configure. Call ``validate()`` after editing."""

    SCHEMA_VERSION: ClassVar[int] = 1

    model_path: str | None = None
    mmproj_path: str | None = None
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    temperature: float = defaults.TEMPERATURE
    top_p: float = defaults.TOP_P
    max_tokens: int = defaults.APP_MAX_TOKENS
    context_size: int = defaults.CONTEXT_TOKENS
    # A conversation longer than the context loses its oldest turns (the system prompt and the newest stay),
    # instead of failing; the window marks where the cut is.
    drop_oldest_turns: bool = True
    gpu_layers: str = defaults.GPU_LAYERS  # "auto", "cpu", or a layer count such as "32"
    gpu_split: str = defaults.GPU_SPLIT  # several GPUs: "auto", "even" or one share per GPU such as "3,1"
    main_gpu: int | None = defaults.MAIN_GPU  # the projector's GPU; None: the one with the most free memory
    threads: int | None = None  # None: let the engine decide
    theme: str = "system"
    language: str | None = None  # None until resolved from the system locale on first run
    presets: dict[str, dict[str, Any]] = field(default_factory=dict)  # keyed by model path
    # The image token budget per model path (libmtmd's image_max_tokens); a model not listed uses its own.
    image_budgets: dict[str, int] = field(default_factory=dict)
    # Disk for image encodings and conversation states kept across restarts, in megabytes (0: nothing kept).
    engine_cache_mb: int = defaults.ENGINE_CACHE_MB
    batch_parallel: int = defaults.BATCH_PARALLEL  # the Batch page's "Images at once" (0: auto)

    def validate(self) -> list[str]:
        """Normalize and clamp values in place; return a message for every change made.

        Raises ``SettingsError`` (a ``ValueError``) for values that cannot be fixed by clamping,
        such as an unknown theme or a non-numeric GPU layer count.
        """
        notes: list[str] = []
        for name in ("model_path", "mmproj_path"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise SettingsError(f"{name} must be a path string or None, not {value!r}")
            if value is not None and not value.strip():
                setattr(self, name, None)
        if not isinstance(self.system_prompt, str):
            raise SettingsError("system_prompt must be text")
        for name in ("temperature", "top_p", "max_tokens", "context_size"):
            setattr(self, name, _clamp(name, getattr(self, name), notes))
        if self.max_tokens > self.context_size:
            notes.append(f"max_tokens lowered from {self.max_tokens} to the context size {self.context_size}")
            self.max_tokens = self.context_size
        if not isinstance(self.drop_oldest_turns, bool):
            raise SettingsError(f"drop_oldest_turns must be true or false, not {self.drop_oldest_turns!r}")
        if self.threads is not None:
            self.threads = int(_clamp("threads", self.threads, notes))
        self.engine_cache_mb = int(_clamp("engine_cache_mb", self.engine_cache_mb, notes))
        self.batch_parallel = int(_clamp("batch_parallel", self.batch_parallel, notes))
        self.gpu_layers = normalize_gpu_layers(self.gpu_layers)
        self.gpu_split, self.main_gpu = normalize_gpu_placement(self.gpu_split, self.main_gpu)
        if self.theme not in THEMES:
            raise SettingsError(f"theme must be one of {', '.join(THEMES)}, not {self.theme!r}")
        if self.language is not None and self.language not in LANGUAGES:
            raise SettingsError(
                f"language must be one of {', '.join(LANGUAGES)} or None, not {self.language!r}"
            )
        if not isinstance(self.presets, dict):
            raise SettingsError("presets must be a mapping of model path to preset")
        for model, preset in list(self.presets.items()):
            self.presets[model] = _clean_preset(model, preset, notes)
        if not isinstance(self.image_budgets, dict):
            raise SettingsError("image_budgets must be a mapping of model path to a number of tokens")
        self.image_budgets = {str(m): int(_clamp("image_max_tokens", n, notes)) for m, n in self.image_budgets.items()
                              if int(n) > 0}
        return notes

    def image_budget(self) -> int:
        """The image token budget of the configured model (0: the model's own)."""
        return self.image_budgets.get(self.model_path or "", 0)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, including ``schema_version``."""
        data: dict[str, Any] = {"schema_version": self.SCHEMA_VERSION}
        for f in fields(self):
            data[f.name] = copy.deepcopy(getattr(self, f.name))
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        """Build settings from a stored dict of any known schema version.

        Unknown keys are ignored; a value of the wrong type, or a number the engine would refuse
        (negative, absurd, NaN), falls back to its default (logged) rather than failing, so a hand-edited
        file never stops the app starting; a number merely outside the app's range is clamped (logged).
        A bad number in a model's preset drops that number only, not the preset or the other presets.
        """
        if not isinstance(data, dict):
            raise SettingsError(f"settings must be a JSON object, not {type(data).__name__}")
        data = migrate(data, Settings.SCHEMA_VERSION)
        defaults = cls()
        settings = cls()
        for f in fields(cls):
            if f.name in data:
                setattr(settings, f.name, copy.deepcopy(data[f.name]))
        if isinstance(settings.presets, dict):
            settings.presets = {model: _without_bad_numbers(model, preset)
                                for model, preset in settings.presets.items()}
        for f in fields(cls):
            # Check each value against defaults for the rest, so one bad value resets only itself.
            probe = copy.deepcopy(defaults)
            setattr(probe, f.name, copy.deepcopy(getattr(settings, f.name)))
            try:
                probe.validate()
            except (SettingsError, TypeError, ValueError) as exc:
                log.warning("settings: ignoring bad %s (%s); using the default", f.name, exc)
                setattr(settings, f.name, copy.deepcopy(getattr(defaults, f.name)))
        for note in settings.validate():
            log.info("settings: %s", note)
        return settings


def normalize_gpu_layers(value: object) -> str:
    """Return ``"auto"``, ``"cpu"`` or a non-negative layer count as a string; else raise."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise SettingsError(f"gpu_layers must be 'auto', 'cpu' or a number, not {value!r}")
    text = value.strip().lower()
    if text in GPU_LAYER_MODES:
        return text
    if text.isdigit():
        if not number_rules.GPU_LAYERS.follows(int(text)):
            raise SettingsError(str(number_rules.GPU_LAYERS.error(int(text))))
        return str(int(text))
    raise SettingsError(f"gpu_layers must be 'auto', 'cpu' or a whole number of layers, not {value!r}")


def _clamp(name: str, value: object, notes: list[str]) -> float | int:
    low, high = LIMITS[name]
    integer = name != "temperature" and name != "top_p"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingsError(f"{name} must be a number, not {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise SettingsError(f"{name} must be a finite number, not {value!r}")
    if integer and value != int(value):
        raise SettingsError(f"{name} must be a whole number, not {value!r}")
    if not RULES[name].follows(value):
        raise SettingsError(str(RULES[name].error(value)))
    number: float | int = int(value) if integer else float(value)
    clamped = min(max(number, low), high)
    clamped = int(clamped) if integer else float(clamped)
    if clamped != number:
        notes.append(f"{name} {number} is out of range [{low:g}, {high:g}]; using {clamped}")
    return clamped


def _without_bad_numbers(model: str, preset: Any) -> Any:
    """A stored preset less the numbers that cannot be used (logged); anything else is left to ``validate``."""
    if not isinstance(preset, dict):
        return preset
    kept: dict[str, Any] = {}
    for key, value in preset.items():
        if key in LIMITS:
            try:
                _clamp(key, value, [])
            except SettingsError as exc:
                log.warning("settings: ignoring bad %s in the preset for %s (%s)", key, model, exc)
                continue
        kept[key] = value
    return kept


def _clean_preset(model: str, preset: object, notes: list[str]) -> dict[str, Any]:
    if not isinstance(preset, dict):
        raise SettingsError(f"preset for {model!r} must be a mapping")
    cleaned: dict[str, Any] = {}
    for key, value in preset.items():
        if key == PRESET_NAME and isinstance(value, str):
            cleaned[key] = value.strip()[:80]
        elif key not in PRESET_KEYS:
            notes.append(f"preset for {model!r}: dropped unknown key {key!r}")
        elif key == "system_prompt":
            if not isinstance(value, str):
                raise SettingsError(f"preset for {model!r}: system_prompt must be text")
            cleaned[key] = value
        else:
            cleaned[key] = _clamp(key, value, notes)
    return cleaned


# -- presets and language ----------------------------------------------------------------------


def apply_preset(settings: Settings, model_path: str | os.PathLike[str]) -> Settings:
    """Load the model's saved preset (if any) into ``settings`` in place; return ``settings``."""
    preset = settings.presets.get(os.fspath(model_path))
    if preset:
        for key in PRESET_KEYS:
            if key in preset:
                setattr(settings, key, copy.deepcopy(preset[key]))
        settings.validate()
    return settings


def save_preset(settings: Settings, model_path: str | os.PathLike[str], name: str | None = None) -> Settings:
    """Remember the current generation settings as the model's preset (in place), named ``name``; return them."""
    preset: dict[str, Any] = {key: copy.deepcopy(getattr(settings, key)) for key in PRESET_KEYS}
    if name and name.strip():
        preset[PRESET_NAME] = name.strip()[:80]
    settings.presets[os.fspath(model_path)] = preset
    return settings


def preset_name(settings: Settings, model_path: str) -> str:
    """What a preset is called: its name, or the model file's name without ``.gguf``."""
    preset = settings.presets.get(model_path) or {}
    return str(preset.get(PRESET_NAME) or Path(model_path).stem)


def language_for_locale(locale_name: str | None) -> str:
    """Map a locale name such as ``"zh_CN"``, ``"zh-Hans-CN"`` or ``"en_US"`` to a UI language."""
    name = (locale_name or "").replace("-", "_").lower()
    return "zh_CN" if name.startswith("zh") else "en"


def resolve_language(settings: Settings, system_locale: str | None) -> str:
    """Return the UI language, fixing ``settings.language`` from the system locale if unset.

    The Qt layer passes ``QLocale.system().name()``; the caller saves the settings afterwards so
    the choice sticks even if the system locale changes later.
    """
    if settings.language is None:
        settings.language = language_for_locale(system_locale)
    return settings.language


# -- persistence -------------------------------------------------------------------------------


class SettingsRepository:
    """Loads and saves ``Settings`` as JSON at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def corrupt_path(self) -> Path:
        """Where an unreadable settings file is moved aside."""
        return self.path.with_name(self.path.name + ".corrupt")

    def load(self) -> Settings:
        """Read the settings; never raises for a missing, unreadable or corrupt file.

        A file that is not valid settings JSON is renamed to ``corrupt_path`` (and logged) so the
        next save does not silently destroy what the user may want to recover.
        """
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Settings()
        except (OSError, UnicodeDecodeError) as exc:
            if isinstance(exc, UnicodeDecodeError):
                return self._set_aside(exc)
            log.error("cannot read settings %s (%s); using defaults", self.path, exc)
            return Settings()
        try:
            return Settings.from_dict(json.loads(text))
        except (ValueError, TypeError, KeyError) as exc:  # JSONDecodeError is a ValueError
            return self._set_aside(exc)

    def _set_aside(self, reason: Exception) -> Settings:
        log.error("settings file %s is corrupt (%s); moved to %s", self.path, reason, self.corrupt_path)
        try:
            os.replace(self.path, self.corrupt_path)
        except OSError as exc:
            log.error("could not move the corrupt settings file aside: %s", exc)
        return Settings()

    def save(self, settings: Settings) -> None:
        """Write atomically: temp file in the same folder, fsync, then ``os.replace``.

        If serializing fails (e.g. a value JSON cannot represent), the existing file is untouched
        and no temporary file is left behind; the error propagates.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Serialize first: a value JSON cannot represent fails here, before any file is touched.
        data = (json.dumps(settings.to_dict(), ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode()
        write_atomically(self.path, data)
        _fsync_dir(self.path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable too (POSIX only; Windows cannot open directories)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
