"""The image token budget is kept per model, survives a save, and bad values fall back to the model's own."""

from __future__ import annotations

import pytest
from visiondesk.core.settings import Settings, SettingsError


def test_image_budget_is_per_model_and_round_trips() -> None:
    s = Settings(model_path="/qwen.gguf", image_budgets={"/qwen.gguf": 1024, "/gemma.gguf": 0})
    s.validate()
    assert s.image_budget() == 1024
    assert s.image_budgets == {"/qwen.gguf": 1024}  # 0 is "the model's own": nothing to keep
    s.model_path = "/gemma.gguf"
    assert s.image_budget() == 0
    again = Settings.from_dict(s.to_dict())
    assert again.image_budgets == {"/qwen.gguf": 1024}


def test_bad_budgets_are_clamped_or_dropped() -> None:
    s = Settings(image_budgets={"/a.gguf": 20_000})
    notes = s.validate()
    assert s.image_budgets == {"/a.gguf": 16384} and notes
    with pytest.raises(SettingsError, match="image token budget"):  # absurd: refused, as every number is
        Settings(image_budgets={"/a.gguf": 10**9}).validate()
    loaded = Settings.from_dict({**Settings().to_dict(), "image_budgets": {"/a.gguf": "many"}})
    assert loaded.image_budgets == {}
    loaded = Settings.from_dict({**Settings().to_dict(), "image_budgets": ["not", "a", "mapping"]})
    assert loaded.image_budgets == {}
