"""Telling a model from its projector among GGUF files the user picked (shared by the file dialogs)."""

from __future__ import annotations

from pathlib import Path

GGUF_FILTER = "GGUF models (*.gguf);;All files (*)"


def split_gguf_choice(paths: list[Path]) -> tuple[Path | None, Path | None]:
    """From picked files, the model and the projector (its name contains "mmproj")."""
    mmproj = next((p for p in paths if "mmproj" in p.name.lower()), None)
    model = next((p for p in paths if p != mmproj), None)
    return model, mmproj
