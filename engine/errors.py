"""Typed errors the engine raises or reports; each message names the file and the fix.

Each class has a stable ``code`` (``"truncated_gguf"``): a user interface translates a message by its code
and the attributes the error keeps, never by parsing the English text.

``InputError`` and its subclasses are problems with what the user gave (a file, an image, a
conversation): the command line exits with 2 for them. Everything else exits with 1.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import ClassVar


class VisionDeskError(Exception):
    """Base of every error VisionDesk reports to a user."""

    code: ClassVar[str] = "error"


class InputError(VisionDeskError):
    """Something the user supplied cannot be used as it is."""

    code: ClassVar[str] = "input"


class ModelFileMissing(InputError):
    """A model or projector path does not exist."""

    code: ClassVar[str] = "model_file_missing"

    def __init__(self, path: Path, what: str = "model") -> None:
        self.path, self.what = path, what
        super().__init__(f"The {what} file {path} does not exist. Check the path, or download it again "
                         "from the model manager.")


class NotAModelFile(InputError):
    """A model or projector path exists but leads to no file: a folder, a link loop, a pipe or a device."""

    code: ClassVar[str] = "not_a_model_file"

    def __init__(self, path: Path, what: str, kind: str) -> None:
        self.path, self.what, self.kind = path, what, kind
        fix = ("choose the .gguf file inside it" if kind == "a folder"
               else "point it at the .gguf file itself" if "link" in kind else "choose a .gguf file")
        super().__init__(f"The {what} path {path} is {kind}, not a GGUF file: {fix}.")


class NotAGGUF(InputError):
    """The file does not start with the GGUF magic."""

    code: ClassVar[str] = "not_gguf"

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"{path} is not a GGUF file. VisionDesk needs .gguf model files; convert the "
                         "model with llama.cpp's convert_hf_to_gguf.py or pick a GGUF download.")


class TruncatedGGUF(InputError):
    """The GGUF header or tensor data ends early."""

    code: ClassVar[str] = "truncated_gguf"

    def __init__(self, path: Path, detail: str) -> None:
        self.path, self.detail = path, detail
        super().__init__(f"{path} is truncated or damaged ({detail}). The download probably stopped "
                         "early: delete it and download it again.")


class UnknownArchitecture(InputError):
    """llama.cpp in this build does not know the model's architecture."""

    code: ClassVar[str] = "unknown_architecture"

    def __init__(self, path: Path, architecture: str) -> None:
        self.path = path
        self.architecture = architecture
        super().__init__(f"{path} uses the architecture '{architecture}', which this build of llama.cpp "
                         "does not support. Update VisionDesk (llama-cpp-python) or choose another model.")


class NotAProjector(InputError):
    """A file given as mmproj is not a CLIP/vision projector."""

    code: ClassVar[str] = "not_a_projector"

    def __init__(self, path: Path, architecture: str) -> None:
        self.path, self.architecture = path, architecture
        # A file whose architecture is "clip" *is* a projector: then it was given where the model belongs.
        if architecture == "clip" or architecture.startswith(("clip:", "clip ")):
            message = (f"{path} is a vision projector (mmproj), not a model. Pass it as the mmproj, and the "
                       "model file of the same repository as the model.")
        else:
            message = (f"{path} is a '{architecture}' model, not a vision projector (mmproj). Pass the file "
                       "whose name usually contains 'mmproj' as the projector.")
        super().__init__(message)


class ProjectorMismatch(InputError):
    """The projector's output size differs from the text model's embedding size."""

    code: ClassVar[str] = "projector_mismatch"

    def __init__(self, model: Path, mmproj: Path, model_embd: int, projector_embd: int) -> None:
        self.model, self.mmproj = model, mmproj
        self.model_embd, self.projector_embd = model_embd, projector_embd
        super().__init__(
            f"The projector {mmproj.name} does not belong to the model {model.name}: it produces "
            f"{projector_embd}-wide image embeddings, but the model expects {model_embd}. Use the mmproj "
            "file published with this model (same repository, same model size).")


class ImagesNeedProjector(InputError):
    """Images were sent to a model loaded without an mmproj."""

    code: ClassVar[str] = "images_need_projector"

    def __init__(self, model: Path | None) -> None:
        self.model = model
        name = model.name if model else "the model"
        super().__init__(f"{name} was loaded without a vision projector, so it cannot see images. Load "
                         "it together with its mmproj file, or remove the images from the message.")


class ContextOverflow(InputError):
    """The conversation does not fit in the context window."""

    code: ClassVar[str] = "context_overflow"

    def __init__(self, prompt_tokens: int, n_ctx: int) -> None:
        self.prompt_tokens, self.n_ctx = prompt_tokens, n_ctx
        super().__init__(
            f"The conversation is {prompt_tokens} tokens long, but the context holds {n_ctx}. Drop the "
            "oldest turns (or start a new chat), or raise the context size in the settings.")


class NoChatTemplate(InputError):
    """The model carries no chat template and none was configured."""

    code: ClassVar[str] = "no_chat_template"

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(f"{path} has no chat template in its metadata (it may be a base model). Set a "
                         "chat template for it in the settings, or use an instruction-tuned model.")


class ImageError(InputError):
    """An image cannot be read or is not acceptable.

    ``reason`` is the English clause; ``reason_code`` names it for a translation (``"too_large"``), and
    ``reason_values`` keeps the numbers and words that clause names (``{"size": 3_000_000, ...}``).
    """

    code: ClassVar[str] = "image_error"

    def __init__(self, source: str, reason: str, reason_code: str, **reason_values: object) -> None:
        self.source, self.reason = source, reason
        self.reason_code, self.reason_values = reason_code, reason_values
        super().__init__(f"Cannot use the image {source}: {reason}")


class UnsupportedSchema(InputError):
    """A JSON schema that constrained generation cannot enforce (or that is not a valid schema)."""

    code: ClassVar[str] = "unsupported_schema"

    def __init__(self, where: str, construct: str, reason: str) -> None:
        self.where, self.construct, self.reason = where, construct, reason
        super().__init__(f"The JSON schema cannot be used: {construct} at {where} {reason}")


class ChatTemplateFailed(InputError):
    """The model's chat template raised while formatting the conversation (``detail``: Jinja's words)."""

    code: ClassVar[str] = "chat_template_failed"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"The model's chat template could not format this conversation: {detail}. Set another "
                         "chat template for this model in the settings.")


class JsonFileUnreadable(InputError):
    """A JSON file the user named (``what``: "schema" or "preset") cannot be read, or is no JSON."""

    code: ClassVar[str] = "json_file_unreadable"

    def __init__(self, path: Path, what: str, detail: str, *, not_json: bool) -> None:
        self.path, self.what, self.detail, self.not_json = path, what, detail, not_json
        super().__init__(f"The {what} {path} is not valid JSON: {detail}." if not_json else
                         f"Cannot read the {what} {path}: {detail}.")


class NoSuchGpu(InputError):
    """The main GPU asked for is not on this machine."""

    code: ClassVar[str] = "no_such_gpu"

    def __init__(self, main_gpu: int, gpus: int) -> None:
        self.main_gpu, self.gpus = main_gpu, gpus
        super().__init__(f"The main GPU is {main_gpu}, but this machine has {_gpus(gpus)} (numbered from 0).")


class GpuSplitMismatch(InputError):
    """The GPU split gives another number of shares than this machine has GPUs."""

    code: ClassVar[str] = "gpu_split_mismatch"

    def __init__(self, shares: int, gpus: int) -> None:
        self.shares, self.gpus = shares, gpus
        super().__init__(f"The GPU split gives {shares} shares, but this machine has {_gpus(gpus)}: give one share "
                         "per GPU, or 'auto'.")


def _gpus(count: int) -> str:
    return "no GPU" if count == 0 else "1 GPU" if count == 1 else f"{count} GPUs"


class AnswerInvalid(VisionDeskError):
    """An answer that should be JSON does not parse or does not validate against its schema."""

    code: ClassVar[str] = "answer_invalid"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"The answer is not valid: {reason}")


class EngineCrashed(VisionDeskError):
    """The engine's child process died; the next request restarts it."""

    code: ClassVar[str] = "engine_crashed"

    def __init__(self, exitcode: int | None, during: str = "") -> None:
        self.exitcode, self.during = exitcode, during
        if exitcode is not None and exitcode < 0:
            try:
                how = f"was killed by signal {signal.Signals(-exitcode).name}"
            except ValueError:
                how = f"was killed by signal {-exitcode}"
        elif exitcode is None:
            how = "stopped answering"
        else:
            how = f"exited with code {exitcode}"
        where = f" while {during}" if during else ""
        super().__init__(f"The model process {how}{where}. The model file may be damaged or memory ran "
                         "out. Your conversation is kept; the next message restarts the model.")


class EngineHung(VisionDeskError):
    """The engine's child process stopped answering within its deadline and was stopped."""

    code: ClassVar[str] = "engine_hung"

    def __init__(self, during: str, waited_s: float) -> None:
        self.during, self.waited_s = during, waited_s
        super().__init__(
            f"The model process stopped answering while {during} (nothing for {waited_s:g} s), so it was "
            "stopped. Your conversation is kept; try again. If it happens again, the model may be too large or "
            "too slow for this computer: choose a smaller model or a smaller context size.")


class EngineProtocolError(VisionDeskError):
    """The parent and the engine process did not understand each other: a bug, never the user's input."""

    code: ClassVar[str] = "engine_protocol"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(f"The model process and VisionDesk did not understand each other ({detail}). This is "
                         "a bug in VisionDesk; the next message restarts the model.")


class EngineClosed(VisionDeskError):
    """The engine was closed (the app is stopping) while a request ran."""

    code: ClassVar[str] = "engine_closed"

    def __init__(self, during: str = "") -> None:
        self.during = during
        where = f" while {during}" if during else ""
        super().__init__(f"The model was closed{where}; load it again to continue.")


class ModelLoadFailed(VisionDeskError):
    """llama.cpp refused to load the model for a reason not covered above."""

    code: ClassVar[str] = "model_load_failed"


class EngineFailure(VisionDeskError):
    """An unexpected failure inside the engine process."""

    code: ClassVar[str] = "engine_failure"


def rebuild(kind: str, message: str, attrs: dict[str, object] | None = None) -> VisionDeskError:
    """Recreate an error sent across the process boundary as (class name, message, attributes)."""
    cls = _BY_NAME.get(kind, EngineFailure)
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    for key, value in (attrs or {}).items():
        setattr(err, key, value)
    return err


_BY_NAME: dict[str, type[VisionDeskError]] = {
    c.__name__: c for c in (
        InputError, ModelFileMissing, NotAModelFile, NotAGGUF, TruncatedGGUF, UnknownArchitecture, NotAProjector,
        ProjectorMismatch, ImagesNeedProjector, ContextOverflow, NoChatTemplate, ImageError, ChatTemplateFailed,
        JsonFileUnreadable, NoSuchGpu, GpuSplitMismatch, UnsupportedSchema, AnswerInvalid, EngineCrashed, EngineHung,
        EngineProtocolError, EngineClosed, ModelLoadFailed, EngineFailure,
    )
}
