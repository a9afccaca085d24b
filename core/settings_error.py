"""The error of a setting whose value cannot be corrected automatically, raised by every settings module."""

from __future__ import annotations


class SettingsError(ValueError):
    """A setting has a value that cannot be corrected automatically."""
