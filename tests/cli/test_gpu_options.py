"""``--gpu-split`` and ``--main-gpu`` on every command that loads a model, and doctor's plan per GPU.

The options are parsed by the real parser; a bad value is a usage error (exit 2) with one sentence. The
doctor's per-GPU plan is shown on two simulated GPUs: the engine's test seam (``Tuning.simulated_gpus``),
named as such, since no machine here has two GPUs.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from visiondesk.cli import build_parser, main
from visiondesk.cli.backends import CommandContext
from visiondesk.engine import ModelSpec
from visiondesk.engine.llama import LoadResult, LocalEngine
from visiondesk.engine.requests import SimulatedGpu, Tuning

from tests.model_factory import GeneratedModels

SPLIT = "the GPU split must be 'auto', 'even' or one share per GPU separated by commas, such as 3,1"
MAIN = "the main GPU must be a GPU's number, from 0 to 15"


def command_line(command: str, m: GeneratedModels, *extra: str) -> list[str]:
    """A command line of ``command`` that loads the tiny model, with ``extra`` options."""
    model = ["--model", str(m.model)]
    return {"ask": ["ask", *model, *extra, "hi"], "chat": ["chat", *model, *extra],
            "serve": ["serve", *model, *extra], "batch": ["batch", "--model", str(m.model), *extra],
            "doctor": ["doctor", *model, *extra]}[command]


COMMANDS = ("ask", "chat", "serve", "batch", "doctor")


@pytest.mark.parametrize("command", COMMANDS)
def test_the_options_are_parsed(command: str, test_models: GeneratedModels) -> None:
    args = build_parser().parse_args(command_line(command, test_models, "--gpu-split", "3,1", "--main-gpu", "1"))
    assert (args.gpu_split, args.main_gpu) == ((3.0, 1.0), 1)
    args = build_parser().parse_args(command_line(command, test_models, "--gpu-split", "Even"))
    assert (args.gpu_split, args.main_gpu) == ("even", None)
    args = build_parser().parse_args(command_line(command, test_models))
    assert (args.gpu_split, args.main_gpu) == ("auto", None)


BAD = [("--gpu-split", "half", SPLIT), ("--gpu-split", "1,-1", SPLIT), ("--gpu-split", "0,0", SPLIT),
       ("--gpu-split", "1,,1", SPLIT), ("--gpu-split", "nan,1", SPLIT), ("--gpu-split", ",".join(["1"] * 17), SPLIT),
       ("--main-gpu", "-1", MAIN), ("--main-gpu", "16", MAIN), ("--main-gpu", "first", MAIN)]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("option", "value", "sentence"), BAD, ids=[f"{o}={v}" for o, v, _ in BAD])
def test_bad_values_are_refused_with_one_sentence(command: str, option: str, value: str, sentence: str,
                                                  test_models: GeneratedModels,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(command_line(command, test_models, option, value))
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"visiondesk {command}: error: argument {option}: {sentence}")
    assert err[-1].endswith(f"not {value}" if value != "first" else "not 'first'")
    assert sum(sentence in line for line in err) == 1


class SimulatedGpusEngine(LocalEngine):
    """FAKE (test seam): the real engine, loading every model as if the machine had two GPUs of 6 and 4 GiB."""

    def load(self, spec: ModelSpec) -> LoadResult:
        """Load ``spec`` on the simulated GPUs."""
        gpus = (SimulatedGpu(6144), SimulatedGpu(4096))
        return super().load(dataclasses.replace(spec, tuning=Tuning(simulated_gpus=gpus)))


def test_doctor_shows_the_layers_planned_on_each_gpu(test_models: GeneratedModels,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    context = CommandContext(engine=SimulatedGpusEngine)
    model = ["--model", str(test_models.model), "--mmproj", str(test_models.mmproj), "--ctx", "256"]
    assert main(["doctor", *model], context) == 0
    out = capsys.readouterr().out
    assert "layers per GPU: FakeGPU0 2, FakeGPU1 1; projector on FakeGPU0" in out
    assert main(["doctor", "--json", *model, "--gpu-split", "even", "--main-gpu", "1"], context) == 0
    check = json.loads(capsys.readouterr().out)["model_check"]
    assert check["gpus"] == [{"name": "FakeGPU0", "layers": 2}, {"name": "FakeGPU1", "layers": 1}]
    assert check["projector_device"] == "FakeGPU1"


def test_doctor_refuses_a_split_that_does_not_match_the_gpus(test_models: GeneratedModels,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    context = CommandContext(engine=SimulatedGpusEngine)
    code = main(["doctor", "--model", str(test_models.model), "--gpu-split", "1,1,1"], context)
    assert code == 2
    assert capsys.readouterr().err.strip() == ("visiondesk: The GPU split gives 3 shares, but this machine has 2 "
                                               "GPUs: give one share per GPU, or 'auto'.")
