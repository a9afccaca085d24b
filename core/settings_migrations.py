"""The settings file's schema versions: each migration upgrades a stored dict by one version.

``Settings.SCHEMA_VERSION`` (core/settings.py) is the current one; ``migrate`` runs every step from the
file's version up to it. A file from a newer version is read as far as it is understood.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

from .settings_error import SettingsError

log = logging.getLogger(__name__)


def _v0_to_v1(old: dict[str, Any]) -> dict[str, Any]:
    """Upgrade the pre-release format (no ``schema_version``, llama.cpp-style key names)."""
    new = {k: v for k, v in old.items() if k not in {"model", "mmproj", "n_ctx", "max_new_tokens"}}
    renames = {
        "model": "model_path",
        "mmproj": "mmproj_path",
        "n_ctx": "context_size",
        "max_new_tokens": "max_tokens",
    }
    for old_key, new_key in renames.items():
        if old_key in old:
            new[new_key] = old[old_key]
    if "n_gpu_layers" in old:
        layers = new.pop("n_gpu_layers")
        if layers == -1 or layers is None:
            new["gpu_layers"] = "auto"
        elif layers == 0:
            new["gpu_layers"] = "cpu"
        else:
            new["gpu_layers"] = str(layers)
    if "dark_mode" in old:
        dark = new.pop("dark_mode")
        new["theme"] = "system" if dark is None else ("dark" if dark else "light")
    if "threads" in new and new["threads"] in (0, -1):
        new["threads"] = None  # v0 used 0 or -1 for "automatic"
    new["schema_version"] = 1
    return new


# MIGRATIONS[n] upgrades a dict of schema version n to version n + 1.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _v0_to_v1}


def migrate(data: dict[str, Any], current: int) -> dict[str, Any]:
    """Upgrade a stored settings dict to schema version ``current`` (returns a new dict)."""
    data = copy.deepcopy(data)
    version = data.get("schema_version", 0)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise SettingsError(f"bad schema_version {version!r}")
    if version > current:
        log.warning(
            "settings were written by a newer version (schema %d > %d); reading what is understood",
            version,
            current,
        )
        return data
    while version < current:
        data = MIGRATIONS[version](data)
        version += 1
        data["schema_version"] = version
    return data
