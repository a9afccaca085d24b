"""Every error a user can act on: typed, naming the file and the fix; the engine survives."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
from visiondesk.engine import (
    ContextOverflow,
    EngineCrashed,
    ImagesNeedProjector,
    Message,
    ModelFileMissing,
    NoChatTemplate,
    NotAGGUF,
    ProjectorMismatch,
    SamplingParams,
    StopReason,
    TruncatedGGUF,
    Tuning,
    UnknownArchitecture,
)
from visiondesk.engine.errors import NotAModelFile, NotAProjector
from visiondesk.engine.llama import LocalEngine

from tests.engine.conftest import run, spec
from tests.model_factory import GeneratedModels, write_mmproj, write_text_model


def test_model_file_missing(tmp_path: Path) -> None:
    with LocalEngine() as e, pytest.raises(ModelFileMissing, match="does-not-exist.gguf"):
        e.load(spec_for(tmp_path / "does-not-exist.gguf"))


def spec_for(model: Path, mmproj: Path | None = None):  # noqa: ANN201
    from visiondesk.engine import ModelSpec

    return ModelSpec(model=model, mmproj=mmproj, n_ctx=512, threads=1)


def test_not_a_gguf(tmp_path: Path) -> None:
    bad = tmp_path / "notes.gguf"
    bad.write_text("this is a text file, not a model")
    with LocalEngine() as e, pytest.raises(NotAGGUF, match="notes.gguf is not a GGUF file"):
        e.load(spec_for(bad))


@pytest.mark.parametrize("keep", [0, 3, 200, "half"])
def test_truncated_gguf(tmp_path: Path, test_models: GeneratedModels, keep: int | str) -> None:
    data = test_models.model.read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(data[: len(data) // 2 if keep == "half" else int(keep)])
    with LocalEngine() as e, pytest.raises(TruncatedGGUF, match="cut.gguf.*download it again"):
        e.load(spec_for(cut))


def test_unknown_architecture(tmp_path: Path) -> None:
    odd = write_text_model(tmp_path / "odd.gguf", architecture="visiondesk-imaginary")
    with LocalEngine() as e, pytest.raises(UnknownArchitecture, match="visiondesk-imaginary"):
        e.load(spec_for(odd))


def test_projector_mismatch_is_explained(test_models: GeneratedModels) -> None:
    with LocalEngine() as e, pytest.raises(ProjectorMismatch) as info:
        e.load(spec_for(test_models.model, test_models.mismatched_mmproj))
    message = str(info.value)
    assert "tiny-mmproj-96.gguf" in message and "tiny-chat.gguf" in message
    assert "96" in message and "64" in message


def test_projector_given_as_model(test_models: GeneratedModels) -> None:
    with LocalEngine() as e, pytest.raises(NotAProjector):
        e.load(spec_for(test_models.mmproj))
    with LocalEngine() as e, pytest.raises(NotAProjector, match="not a vision projector"):
        e.load(spec_for(test_models.model, test_models.model))


def test_no_chat_template(test_models: GeneratedModels) -> None:
    with LocalEngine() as e, pytest.raises(NoChatTemplate, match="tiny-no-template.gguf"):
        e.load(spec_for(test_models.no_template_model))
    with LocalEngine() as e:  # a configured template makes it usable
        e.load(spec(test_models, model=test_models.no_template_model, mmproj=None,
                    chat_template="{% for m in messages %}{{ m.content }}\n{% endfor %}"))
        assert run(e, [Message.user("hello")])[1].error is None


def test_images_without_projector(test_models: GeneratedModels, images: dict[str, Path]) -> None:
    with LocalEngine() as e:
        e.load(spec(test_models, mmproj=None))
        _, fin, _ = run(e, [Message.user("What is this?", images["red"])])
        assert fin.stop_reason is StopReason.ERROR
        assert isinstance(fin.error, ImagesNeedProjector)
        assert "mmproj" in str(fin.error)
        assert run(e, [Message.user("Still there?")])[1].error is None


def test_context_overflow_offers_dropping_turns(test_models: GeneratedModels) -> None:
    with LocalEngine() as e:
        e.load(spec(test_models, n_ctx=256))
        _, fin, _ = run(e, [Message.user("the " * 400)])
        assert isinstance(fin.error, ContextOverflow)
        assert fin.error.n_ctx == 256 and fin.error.prompt_tokens > 256
        assert "Drop the oldest turns" in str(fin.error)
        assert run(e, [Message.user("short")])[1].error is None


def test_corrupt_projector_crashing_llama_is_reported(tmp_path: Path, test_models: GeneratedModels) -> None:
    """A projector missing a required tensor makes llama.cpp crash natively; the engine survives.

    Opened at load here (``Tuning(lazy_projector=False)``); test_lazy_projector.py has the same file met at the
    first image, the default.
    """
    broken = write_mmproj(tmp_path / "broken-mmproj.gguf", omit=("mm.2.weight", "mm.2.bias"))
    with LocalEngine() as e:
        try:
            e.load(dataclasses.replace(spec_for(test_models.model, broken), tuning=Tuning(lazy_projector=False)))
        except EngineCrashed as exc:
            assert "signal" in str(exc) or "exited" in str(exc)
        except Exception as exc:  # a clean refusal is fine too, as long as it is one of ours
            assert "broken-mmproj.gguf" in str(exc) or "projector" in str(exc)
        else:
            pytest.fail("a projector without its output layer must not load")
        e.load(spec(test_models))
        assert run(e, [Message.user("Alive?")])[1].error is None


def test_sampling_params_reach_the_sampler(engine: LocalEngine) -> None:
    a = run(engine, [Message.user("x")], SamplingParams(temperature=0, max_tokens=3))[1]
    assert a.usage.completion_tokens == 3


def test_projector_given_as_model_reads_as_one_sentence(test_models: GeneratedModels) -> None:
    with LocalEngine() as e, pytest.raises(NotAProjector) as info:
        e.load(spec_for(test_models.mmproj))
    assert str(info.value) == (f"{test_models.mmproj} is a vision projector (mmproj), not a model. Pass it as the "
                               "mmproj, and the model file of the same repository as the model.")


@pytest.mark.parametrize("slot", ["model", "projector"])
def test_folder_given_as_model_or_projector(slot: str, test_models: GeneratedModels, tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    model, mmproj = (folder, test_models.mmproj) if slot == "model" else (test_models.model, folder)
    with LocalEngine() as e, pytest.raises(NotAModelFile) as info:
        e.load(spec_for(model, mmproj))
    assert str(info.value) == (f"The {slot} path {folder} is a folder, not a GGUF file: choose the .gguf file "
                               "inside it.")


def test_symlink_loop_given_as_model(tmp_path: Path) -> None:
    loop = tmp_path / "model.gguf"
    loop.symlink_to(loop)
    with LocalEngine() as e, pytest.raises(NotAModelFile) as info:
        e.load(spec_for(loop))
    assert str(info.value) == (f"The model path {loop} is a symbolic link that leads back to itself (a link loop), "
                               "not a GGUF file: point it at the .gguf file itself.")


def _ask(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "visiondesk", "ask", *args, "hello"], capture_output=True, text=True,
                          timeout=120)


def test_ask_names_each_wrong_path_for_what_it_is(test_models: GeneratedModels, tmp_path: Path) -> None:
    loop = tmp_path / "loop.gguf"
    loop.symlink_to(loop)
    cases = {
        ("--model", str(test_models.mmproj)): f"{test_models.mmproj} is a vision projector (mmproj), not a model.",
        ("--model", str(tmp_path)): f"The model path {tmp_path} is a folder, not a GGUF file",
        ("--model", str(test_models.model), "--mmproj", str(tmp_path)):
            f"The projector path {tmp_path} is a folder, not a GGUF file",
        ("--model", str(loop)): f"The model path {loop} is a symbolic link that leads back to itself (a link loop)",
        ("--model", str(test_models.model), "--mmproj", str(test_models.mmproj), "--image", str(tmp_path)):
            f"Cannot use the image {tmp_path}: it is a folder, not an image file.",
        ("--model", str(test_models.model), "--mmproj", str(test_models.mmproj), "--image", str(loop)):
            f"Cannot use the image {loop}: it is a symbolic link that leads back to itself (a link loop)",
    }
    for args, sentence in cases.items():
        r = _ask(*args, "--threads", "1", "--ctx", "512", "--max-tokens", "2")
        messages = [line for line in r.stderr.splitlines() if line.startswith("visiondesk:")]
        assert r.returncode == 2, (args, r.stderr)
        assert len(messages) == 1 and messages[0].startswith(f"visiondesk: {sentence}"), (args, r.stderr)
        assert "does not exist" not in r.stderr and "Traceback" not in r.stderr


def test_every_error_has_a_stable_code_that_survives_the_process_boundary() -> None:
    """A user interface translates an error by its code and attributes, never by its English text."""
    from visiondesk.engine import errors

    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.VisionDeskError)]
    codes = [c.code for c in classes]
    assert len(classes) >= 18 and len(set(codes)) == len(codes) and all(code.islower() for code in codes)
    original = errors.TruncatedGGUF(Path("/m/x.gguf"), "the tensor data ends early")
    rebuilt = errors.rebuild("TruncatedGGUF", str(original), dict(vars(original)))
    assert rebuilt.code == "truncated_gguf" and rebuilt.detail == "the tensor data ends early"
    assert rebuilt.path == Path("/m/x.gguf")
