"""The VisionDesk engine: plain Python, no Qt. llama.cpp runs in a child process it owns.

Use ``Engine`` (load a model, then ``chat`` for a stream of events with a ``CancelToken``).
"""

from .cancel import CancelToken
from .engine import Engine
from .errors import (
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
    VisionDeskError,
)
from .events import EngineEvent, Finished, Stage, StageChanged, StopReason, TextDelta, Timings, Usage
from .images import PreparedImage, prepare_image
from .requests import ImageSource, LoadResult, Message, ModelSpec, SamplingParams

__all__ = [
    "CancelToken", "ContextOverflow", "Engine", "EngineCrashed", "EngineEvent", "Finished", "ImageError",
    "ImageSource", "ImagesNeedProjector", "InputError", "LoadResult", "Message", "ModelFileMissing",
    "ModelSpec", "NoChatTemplate", "NotAGGUF", "PreparedImage", "ProjectorMismatch", "SamplingParams",
    "Stage", "StageChanged", "StopReason", "TextDelta", "Timings", "TruncatedGGUF", "UnknownArchitecture",
    "Usage", "VisionDeskError", "prepare_image",
]
