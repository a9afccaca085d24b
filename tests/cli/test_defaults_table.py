"""One table of defaults: the engine's requests, the command line's options and the app's settings agree."""

from __future__ import annotations

import argparse
from pathlib import Path

from visiondesk.cli import build_parser
from visiondesk.core.settings import Settings
from visiondesk.engine import ModelSpec, SamplingParams, defaults


def _subcommand(parser: argparse.ArgumentParser, *names: str) -> argparse.ArgumentParser:
    for name in names:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        parser = action.choices[name]
    return parser


def _option_defaults(*names: str) -> dict[str, object]:
    parser = _subcommand(build_parser(), *names)
    return {a.dest: a.default for a in parser._actions}


def test_engine_requests_take_their_defaults_from_the_table() -> None:
    sampling = SamplingParams()
    assert (sampling.temperature, sampling.top_p, sampling.top_k, sampling.min_p) == (
        defaults.TEMPERATURE, defaults.TOP_P, defaults.TOP_K, defaults.MIN_P)
    assert (sampling.repeat_penalty, sampling.repeat_last_n, sampling.seed, sampling.max_tokens) == (
        defaults.REPEAT_PENALTY, defaults.REPEAT_LAST_N, defaults.RANDOM_SEED, defaults.MAX_TOKENS)
    spec = ModelSpec(model=Path("m.gguf"))
    assert (spec.n_ctx, spec.gpu_layers) == (defaults.CONTEXT_TOKENS, defaults.GPU_LAYERS)


def test_command_line_options_default_to_the_engine_requests() -> None:
    sampling, spec = SamplingParams(), ModelSpec(model=Path("m.gguf"))
    for command in ("ask", "chat"):
        options = _option_defaults(command)
        assert (options["temperature"], options["top_p"], options["seed"], options["max_tokens"]) == (
            sampling.temperature, sampling.top_p, sampling.seed, sampling.max_tokens), command
        assert (options["ctx"], options["gpu_layers"]) == (spec.n_ctx, spec.gpu_layers), command
    assert _option_defaults("doctor")["ctx"] == spec.n_ctx
    assert _option_defaults("models", "catalog")["context"] == spec.n_ctx
    assert _option_defaults("models", "pull")["context"] == spec.n_ctx


def test_app_settings_default_to_the_table() -> None:
    s, spec = Settings(), ModelSpec(model=Path("m.gguf"))
    assert (s.temperature, s.top_p) == (SamplingParams().temperature, SamplingParams().top_p)
    assert (s.context_size, s.gpu_layers) == (spec.n_ctx, spec.gpu_layers)
    assert s.max_tokens == defaults.APP_MAX_TOKENS
    # Every numeric default of the table is one the settings accept as it is.
    assert Settings().validate() == []
