"""Sizes in bytes as the window writes them, in the UI's locale: one home for every label and message."""

from __future__ import annotations

from PySide6.QtCore import QLocale


def format_size(n: int) -> str:
    """Bytes as the locale writes them (e.g. "1.5 GB")."""
    return QLocale().formattedDataSize(n, 1)
