"""The VisionDesk engine: plain Python, no Qt, importable without llama.cpp.

The shared vocabulary of every backend (``Backend``, ``Message``, ``SamplingParams``, ``CancelToken``, the
events and the errors). The local llama.cpp backend is ``visiondesk.engine.llama.LocalEngine``.
"""

from .backend import Backend, BackendInfo, ParallelBackend, ParallelRequest
from .cancel import CancelToken
from .errors import (
    AnswerInvalid,
    ContextOverflow,
    EngineCrashed,
    ImageError,
    ImagesNeedProjector,
    InputError,
    ModelFileMissing,
    NoChatTemplate,
    NotAGGUF,
    ProjectorMismatch,
    TruncatedGGUF,
    UnknownArchitecture,
    UnsupportedSchema,
    VisionDeskError,
)
from .events import EngineEvent, Finished, Stage, StageChanged, StopReason, TextDelta, Timings, Usage
from .images import PreparedImage, prepare_image
from .requests import ImageAttachment, ImageSource, Message, ModelSpec, SamplingParams, Tuning
from .structured import ResponseFormat

__all__ = [
    "AnswerInvalid", "Backend", "BackendInfo", "CancelToken", "ContextOverflow", "EngineCrashed", "EngineEvent",
    "Finished", "ImageAttachment", "ImageError", "ImageSource", "ImagesNeedProjector", "InputError", "Message",
    "ModelFileMissing", "ParallelBackend", "ParallelRequest",
    "ResponseFormat", "UnsupportedSchema",
    "ModelSpec", "NoChatTemplate", "NotAGGUF", "PreparedImage", "ProjectorMismatch", "SamplingParams",
    "Stage", "StageChanged", "StopReason", "TextDelta", "Timings", "TruncatedGGUF", "UnknownArchitecture",
    "Tuning", "Usage", "VisionDeskError", "prepare_image",
]
