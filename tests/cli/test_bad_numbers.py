"""Bad numbers are bad input: every numeric option refuses negative and absurd values with one sentence, exit 2.

Through ``python -m visiondesk`` as a user runs it, and through the engine's request types that every
front end (the app, the command line, an API) builds.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
from visiondesk.engine import InputError, ModelSpec, SamplingParams

from tests.model_factory import GeneratedModels

CONTEXT = "the context size must be a positive number of tokens"
MAX_TOKENS = "the answer length (max tokens) must be a positive number of tokens"
TEMPERATURE = "the temperature must be a number from 0 to 10"
TOP_P = "top-p must be a number from 0 to 1"
THREADS = "the number of threads must be a whole number from 1 to 512"
GPU_LAYERS = "the number of GPU layers must be 'auto' or a whole number from 0 to 10,000"
SEED = "the seed must be a whole number from 0 to 4294967295"
PARALLEL = "the number of parallel sequences must be 0 (as many as free memory allows) or a whole number from 1 to 256"

CASES = [
    ("ask", "--ctx", "-5", CONTEXT),
    ("ask", "--ctx", "0", CONTEXT),
    ("ask", "--ctx", "1000000000000", CONTEXT),
    ("ask", "--ctx", "lots", CONTEXT),
    ("chat", "--ctx", "-5", CONTEXT),
    ("doctor", "--ctx", "-5", CONTEXT),
    ("ask", "--max-tokens", "-1", MAX_TOKENS),
    ("ask", "--max-tokens", "0", MAX_TOKENS),
    ("ask", "--max-tokens", "1000000000", MAX_TOKENS),
    ("ask", "--temperature", "-0.5", TEMPERATURE),
    ("ask", "--temperature", "1e308", TEMPERATURE),
    ("ask", "--temperature", "nan", TEMPERATURE),
    ("ask", "--temperature", "inf", TEMPERATURE),
    ("ask", "--top-p", "-0.1", TOP_P),
    ("ask", "--top-p", "1.5", TOP_P),
    ("ask", "--top-p", "nan", TOP_P),
    ("ask", "--threads", "-2", THREADS),
    ("ask", "--threads", "0", THREADS),
    ("ask", "--threads", "100000", THREADS),
    ("ask", "--gpu-layers", "-1", GPU_LAYERS),
    ("ask", "--gpu-layers", "1000000000000", GPU_LAYERS),
    ("ask", "--seed", "-5", SEED),
    ("ask", "--seed", "4294967296", SEED),
    ("batch", "--parallel", "-1", PARALLEL),
    ("batch", "--parallel", "1000", PARALLEL),
    ("models catalog", "--context", "-5", CONTEXT),
    ("models pull", "--context", "1000000000000", CONTEXT),
    ("models search", "--limit", "-1", "the number of results must be a whole number from 1 to 1,000"),
]


@pytest.mark.parametrize(("command", "option", "value", "sentence"), CASES,
                         ids=[f"{c}{o}={v}" for c, o, v, _ in CASES])
def test_bad_number_is_a_usage_error_with_one_sentence(test_models: GeneratedModels, command: str, option: str,
                                                       value: str, sentence: str) -> None:
    args = [option, value]
    if command in ("ask", "chat", "doctor"):
        args += ["--model", str(test_models.model), "--mmproj", str(test_models.mmproj)]
    if command in ("ask", "models pull", "models search"):
        args.append("What is this?" if command == "ask" else "owner/repo")
    r = subprocess.run([sys.executable, "-m", "visiondesk", *command.split(), *args], capture_output=True, text=True,
                       timeout=120, stdin=subprocess.DEVNULL)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""
    assert "loading the model" not in r.stderr  # refused before anything is loaded
    said = [line for line in r.stderr.splitlines() if sentence in line]
    assert len(said) == 1, r.stderr  # the reason is one line, after argparse's usage
    assert said[0] == r.stderr.splitlines()[-1]
    assert said[0].startswith(f"visiondesk {command}: error: argument {option}: {sentence}")
    assert said[0].endswith(f"not {value}" if value != "lots" else "not 'lots'")


def test_good_numbers_still_pass(test_models: GeneratedModels) -> None:
    r = subprocess.run([sys.executable, "-m", "visiondesk", "ask", "--model", str(test_models.model), "--threads", "1",
                        "--ctx", "512", "--max-tokens", "3", "--temperature", "0", "--top-p", "1", "--seed", "0",
                        "--gpu-layers", "0", "hi"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


BAD_SAMPLING = [
    ({"temperature": -1.0}, "temperature"), ({"temperature": math.nan}, "temperature"),
    ({"temperature": 1e308}, "temperature"), ({"top_p": math.inf}, "Top-p"), ({"top_k": -1}, "Top-k"),
    ({"top_k": 10**12}, "Top-k"), ({"min_p": -0.1}, "Min-p"), ({"min_p": 2.0}, "Min-p"),
    ({"repeat_penalty": -1.0}, "repeat penalty"), ({"repeat_penalty": math.nan}, "repeat penalty"),
    ({"repeat_last_n": -5}, "repeat window"), ({"seed": -1}, "seed"), ({"seed": 2**32}, "seed"),
    ({"max_tokens": 0}, "answer length"), ({"max_tokens": 10**9}, "answer length"),
    ({"max_tokens": 12.5}, "answer length"), ({"temperature": "hot"}, "temperature"),
]


@pytest.mark.parametrize(("fields", "named"), BAD_SAMPLING, ids=[repr(f) for f, _ in BAD_SAMPLING])
def test_sampling_params_refuse_bad_numbers_for_every_front_end(fields: dict[str, object], named: str) -> None:
    with pytest.raises(InputError, match=named) as caught:
        SamplingParams(**fields)  # type: ignore[arg-type]
    text = str(caught.value)
    assert text[0].isupper() and text.endswith(".") and "\n" not in text


BAD_SPEC = [
    ({"n_ctx": -5}, "context size"), ({"n_ctx": 10**12}, "context size"), ({"n_ctx": 0}, "context size"),
    ({"threads": 0}, "threads"), ({"threads_batch": -1}, "threads"), ({"threads": 10**6}, "threads"),
    ({"gpu_layers": -1}, "GPU layers"), ({"gpu_layers": 10**12}, "GPU layers"), ({"gpu_layers": "all"}, "GPU layers"),
    ({"n_batch": 0}, "batch size"), ({"image_max_pixels": -1}, "pixel limit"),
    ({"embedding_cache_images": -1}, "cached images"),
]


@pytest.mark.parametrize(("fields", "named"), BAD_SPEC, ids=[repr(f) for f, _ in BAD_SPEC])
def test_model_spec_refuses_bad_numbers(fields: dict[str, object], named: str) -> None:
    with pytest.raises(InputError, match=named):
        ModelSpec(model=Path("m.gguf"), **fields)  # type: ignore[arg-type]


def test_whole_numbers_given_as_floats_become_ints() -> None:
    # JSON (an API request, settings.json) writes 512.0 for 512; the engine's C calls need ints.
    sampling = SamplingParams(max_tokens=512.0, top_k=40.0)  # type: ignore[arg-type]
    assert (sampling.max_tokens, sampling.top_k) == (512, 40)
    assert isinstance(sampling.max_tokens, int)
    assert ModelSpec(model=Path("m.gguf"), n_ctx=2048.0, gpu_layers=3.0).n_ctx == 2048  # type: ignore[arg-type]
