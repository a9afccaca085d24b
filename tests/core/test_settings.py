from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from visiondesk.core.paths import DataPaths
from visiondesk.core.settings import (
    Settings,
    SettingsError,
    SettingsRepository,
    apply_preset,
    language_for_locale,
    resolve_language,
    save_preset,
)
from visiondesk.core.settings_migrations import migrate


def test_defaults() -> None:
    s = Settings()
    assert Settings.SCHEMA_VERSION == 1
    assert (s.temperature, s.top_p, s.max_tokens, s.context_size) == (0.7, 0.95, 1024, 4096)
    assert (s.gpu_layers, s.threads, s.theme, s.language) == ("auto", None, "system", None)
    assert s.validate() == []


def test_round_trip_through_repository(tmp_path: Path) -> None:
    repo = SettingsRepository(tmp_path / "settings.json")
    s = Settings(
        model_path="/m/qwen.gguf",
        mmproj_path="/m/mmproj.gguf",
        system_prompt="Be brief. 简洁。",
        temperature=0.2,
        top_p=0.5,
        max_tokens=300,
        context_size=8192,
        gpu_layers="24",
        threads=6,
        theme="dark",
        language="zh_CN",
        presets={"/m/qwen.gguf": {"temperature": 0.1, "system_prompt": "x"}},
    )
    repo.save(s)
    stored = json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))
    assert stored["schema_version"] == 1
    assert stored["system_prompt"] == "Be brief. 简洁。"
    assert repo.load() == s
    assert Settings.from_dict(s.to_dict()) == s


def test_default_repository_lives_in_data_dir(_isolated_data_dir: Path) -> None:
    repo = SettingsRepository(DataPaths.default().settings)
    assert repo.path == _isolated_data_dir / "settings.json"
    assert DataPaths.default().root == _isolated_data_dir
    repo.save(Settings(theme="light"))
    assert SettingsRepository(DataPaths.default().settings).load().theme == "light"


def test_validate_clamps_with_messages() -> None:
    # Numbers the engine accepts but the app does not offer are clamped; negative ones are refused (below).
    s = Settings(temperature=5.0, top_p=0.0, max_tokens=100_000, context_size=2048, threads=300)
    notes = s.validate()
    assert (s.temperature, s.top_p, s.context_size, s.threads) == (2.0, 0.0, 2048, 256)
    assert s.max_tokens == 2048  # cannot exceed the context
    assert any("temperature" in n for n in notes)
    assert any("max_tokens" in n and "context" in n for n in notes)
    s = Settings(context_size=100)
    assert any("context_size" in n for n in s.validate()) and s.context_size == 256


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"theme": "blue"}, "theme"),
        ({"gpu_layers": "lots"}, "gpu_layers"),
        ({"gpu_layers": "-3"}, "gpu_layers"),
        ({"language": "fr"}, "language"),
        ({"temperature": "hot"}, "temperature"),
        ({"temperature": float("nan")}, "finite"),
        ({"max_tokens": 10.5}, "whole"),
        ({"presets": {"/m": {"top_p": "x"}}}, "top_p"),
        # Negative and absurd numbers are refused with the engine's sentence (they used to be clamped or crash).
        ({"top_p": -1.0}, r"^Top-p must be a number from 0 to 1, not -1\.$"),
        ({"threads": 0}, r"^The number of threads must be a whole number from 1 to 512, not 0\.$"),
        ({"threads": -4}, "number of threads"),
        ({"context_size": -5}, r"^The context size must be a positive number of tokens \(at most 10,000,000\), not -5"),
        ({"context_size": 0}, "context size must be a positive number of tokens"),
        ({"context_size": 10**12}, "context size must be a positive number of tokens"),
        ({"max_tokens": -1}, "answer length"),
        ({"max_tokens": 10**9}, "answer length"),
        ({"temperature": -0.1}, "temperature must be a number from 0 to 10"),
        ({"temperature": 1e308}, "temperature must be a number from 0 to 10"),
        ({"gpu_layers": "1000000000000"}, "GPU layers must be 'auto' or a whole number from 0 to 10,000"),
        ({"presets": {"/m": {"context_size": -5}}}, "context size must be a positive number"),
        ({"gpu_split": "half"}, r"^The GPU split must be 'auto', 'even' or one share per GPU .*, not half\.$"),
        ({"gpu_split": "0,0"}, "GPU split must be"),
        ({"main_gpu": -1}, r"^The main GPU must be a GPU's number, from 0 to 15, not -1\.$"),
        ({"main_gpu": "0"}, "main GPU must be"),
    ],
)
def test_validate_rejects(changes: dict[str, object], message: str) -> None:
    s = Settings(**changes)  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match=message):
        s.validate()


def test_gpu_layers_normalized() -> None:
    s = Settings(gpu_layers=" AUTO ")
    s.validate()
    assert s.gpu_layers == "auto"
    s.gpu_layers = "032"
    s.validate()
    assert s.gpu_layers == "32"


def test_gpu_split_normalized_and_a_bad_one_in_the_file_falls_back_to_auto() -> None:
    s = Settings(gpu_split=" Even ", main_gpu=1)
    s.validate()
    assert (s.gpu_split, s.main_gpu) == ("even", 1)
    s.gpu_split = "3, 1.50"
    s.validate()
    assert s.gpu_split == "3,1.5"
    read = Settings.from_dict({"schema_version": 1, "gpu_split": "1,-1", "main_gpu": 99, "temperature": 0.2})
    assert (read.gpu_split, read.main_gpu, read.temperature) == ("auto", None, 0.2)


def test_migration_from_v0() -> None:
    # The pre-release prototype wrote this: no schema_version, llama.cpp-style names.
    v0 = {
        "model": "/models/old.gguf",
        "mmproj": "/models/old-mmproj.gguf",
        "n_ctx": 2048,
        "max_new_tokens": 512,
        "n_gpu_layers": 0,
        "dark_mode": True,
        "threads": -1,
        "temperature": 0.3,
        "system_prompt": "old prompt",
        "some_removed_option": 1,
    }
    upgraded = migrate(v0, Settings.SCHEMA_VERSION)
    assert upgraded["schema_version"] == 1
    assert "model" not in upgraded and "n_gpu_layers" not in upgraded
    s = Settings.from_dict(v0)
    assert s.model_path == "/models/old.gguf"
    assert s.mmproj_path == "/models/old-mmproj.gguf"
    assert (s.context_size, s.max_tokens, s.gpu_layers) == (2048, 512, "cpu")
    assert (s.theme, s.threads, s.temperature, s.system_prompt) == ("dark", None, 0.3, "old prompt")
    assert v0["model"] == "/models/old.gguf"  # input not mutated
    assert Settings.from_dict({"n_gpu_layers": -1}).gpu_layers == "auto"
    assert Settings.from_dict({"n_gpu_layers": 20, "dark_mode": False}).gpu_layers == "20"
    assert Settings.from_dict({"dark_mode": False}).theme == "light"


def test_migrated_file_loads_and_is_rewritten_as_v1(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"model": "/m.gguf", "n_ctx": 1024}), encoding="utf-8")
    repo = SettingsRepository(path)
    s = repo.load()
    assert (s.model_path, s.context_size) == ("/m.gguf", 1024)
    repo.save(s)
    assert json.loads(path.read_text(encoding="utf-8"))["schema_version"] == 1
    assert repo.load() == s


def test_bad_single_value_falls_back_to_default(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        s = Settings.from_dict({"schema_version": 1, "theme": "neon", "temperature": 0.1, "max_tokens": 8000})
    assert s.theme == "system"
    assert s.temperature == 0.1
    assert s.max_tokens == 4096  # clamped to the default context size
    assert "theme" in caplog.text
    # max_tokens is judged together with the stored context size, not the default one.
    assert Settings.from_dict({"max_tokens": 8000, "context_size": 16384}).max_tokens == 8000


BAD_STORED_NUMBERS = [
    ("context_size", -5), ("context_size", 0), ("context_size", 1e12), ("max_tokens", -1), ("max_tokens", 10**9),
    ("temperature", -0.5), ("temperature", 1e308), ("temperature", float("nan")), ("temperature", float("inf")),
    ("top_p", -0.5), ("top_p", 7), ("threads", -3), ("threads", 0), ("threads", 10**6),
    ("gpu_layers", "1000000000000"), ("gpu_layers", -1),
]


@pytest.mark.parametrize(("key", "value"), BAD_STORED_NUMBERS, ids=[f"{k}={v}" for k, v in BAD_STORED_NUMBERS])
def test_bad_number_in_settings_file_falls_back_to_default(
    tmp_path: Path, key: str, value: object, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "settings.json"
    # json writes NaN, Infinity and 1e+308 as Python reads them back: what a hand edit can leave.
    path.write_text(json.dumps({"schema_version": 1, key: value, "theme": "dark"}), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        s = SettingsRepository(path).load()
    assert getattr(s, key) == getattr(Settings(), key)
    assert s.theme == "dark"  # the rest of the file is kept
    assert path.exists()  # not set aside as corrupt: only the bad value is dropped
    assert f"ignoring bad {key}" in caplog.text
    assert s.validate() == []


def test_bad_number_in_a_preset_drops_only_that_number(caplog: pytest.LogCaptureFixture) -> None:
    presets = {"/a.gguf": {"temperature": -1, "top_p": 0.5}, "/b.gguf": {"context_size": 8192}}
    with caplog.at_level(logging.WARNING):
        s = Settings.from_dict({"schema_version": 1, "presets": presets})
    assert s.presets == {"/a.gguf": {"top_p": 0.5}, "/b.gguf": {"context_size": 8192}}
    assert "temperature" in caplog.text and "/a.gguf" in caplog.text


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[1, 2, 3]", b'{"schema_version": "one"}', b"\xff\xfe\x00garbage"],
)
def test_corrupt_file_gives_defaults_and_is_set_aside(
    tmp_path: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    repo = SettingsRepository(path)
    with caplog.at_level(logging.ERROR):
        assert repo.load() == Settings()
    assert not path.exists()
    assert repo.corrupt_path.read_bytes() == content
    assert "corrupt" in caplog.text
    repo.save(Settings(theme="dark"))
    assert repo.load().theme == "dark"


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    repo = SettingsRepository(tmp_path / "nope" / "settings.json")
    assert repo.load() == Settings()
    assert not repo.corrupt_path.exists()


@pytest.mark.parametrize(
    "bad",
    [
        {"presets": {"/m.gguf": {"temperature": object()}}},  # not JSON-serializable
        {"temperature": float("inf")},  # JSON cannot represent it (allow_nan=False)
    ],
)
def test_failed_save_leaves_old_file_and_no_temp(tmp_path: Path, bad: dict[str, object]) -> None:
    path = tmp_path / "settings.json"
    repo = SettingsRepository(path)
    repo.save(Settings(theme="light"))
    before = path.read_bytes()
    broken = Settings(**bad)  # type: ignore[arg-type]
    with pytest.raises((TypeError, ValueError)):
        repo.save(broken)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.json"]
    assert repo.load().theme == "light"


def test_presets_apply_and_save() -> None:
    s = Settings(model_path="/a.gguf", temperature=0.2, max_tokens=256, system_prompt="A")
    assert save_preset(s, "/a.gguf") is s
    assert s.presets["/a.gguf"] == {
        "temperature": 0.2,
        "top_p": 0.95,
        "max_tokens": 256,
        "context_size": 4096,
        "system_prompt": "A",
    }
    s.temperature, s.max_tokens, s.system_prompt = 1.5, 999, "B"
    apply_preset(s, Path("/b.gguf"))  # no preset: unchanged
    assert (s.temperature, s.max_tokens, s.system_prompt) == (1.5, 999, "B")
    assert apply_preset(s, Path("/a.gguf")) is s
    assert (s.temperature, s.max_tokens, s.system_prompt) == (0.2, 256, "A")
    # Changing the live settings does not alter the saved preset.
    s.temperature = 0.9
    assert s.presets["/a.gguf"]["temperature"] == 0.2


def test_presets_survive_round_trip_and_unknown_keys_dropped() -> None:
    data = Settings().to_dict()
    data["presets"] = {"/a.gguf": {"top_p": 0.5, "mystery": 1}}
    s = Settings.from_dict(data)
    assert s.presets == {"/a.gguf": {"top_p": 0.5}}


def test_language_resolution() -> None:
    assert language_for_locale("zh_CN") == "zh_CN"
    assert language_for_locale("zh-Hans-CN") == "zh_CN"
    assert language_for_locale("en_US") == "en"
    assert language_for_locale(None) == "en"
    s = Settings()
    assert resolve_language(s, "zh_TW") == "zh_CN"
    assert s.language == "zh_CN"
    assert resolve_language(s, "en_US") == "zh_CN"  # stored choice wins afterwards


def test_images_at_once_is_kept_and_a_bad_value_in_the_file_falls_back_to_auto(
        caplog: pytest.LogCaptureFixture) -> None:
    assert Settings().batch_parallel == 0, "Auto by default"
    assert Settings.from_dict({"schema_version": 1, "batch_parallel": 4}).batch_parallel == 4
    assert Settings.from_dict({"schema_version": 1, "batch_parallel": 64}).batch_parallel == 8, "clamped to the offer"
    with caplog.at_level(logging.WARNING, logger="visiondesk.core.settings"):
        assert Settings.from_dict({"schema_version": 1, "batch_parallel": -2}).batch_parallel == 0
        assert Settings.from_dict({"schema_version": 1, "batch_parallel": "four"}).batch_parallel == 0
    assert "batch_parallel" in caplog.text
