"""Engine errors in the UI's language: chosen by the error's stable ``code``, filled from its attributes.

The engine writes English messages for logs and the command line. The window never parses them: it
looks the error's ``code`` up here and builds the sentence from the attributes the error keeps (a
path, a size). An error without a known code, or without the attributes its sentence needs, is shown
with its own message.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication
from visiondesk.engine.errors import VisionDeskError

_CONTEXT = "EngineErrors"


def _tr(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


def _name(value: object) -> str:
    return Path(str(value)).name if value else ""


def _sentence(code: str, e: VisionDeskError) -> str | None:
    a = vars(e)
    if code == "model_file_missing":
        return _tr("The file %1 does not exist. Check the path, or download it again from the model manager.") \
            .replace("%1", str(a["path"]))
    if code == "not_a_model_file":
        return _tr("%1 is not a GGUF file: choose the .gguf file itself.").replace("%1", str(a["path"]))
    if code == "not_gguf":
        return _tr("%1 is not a GGUF file. VisionDesk needs .gguf model files.").replace("%1", str(a["path"]))
    if code == "truncated_gguf":
        return _tr("%1 is truncated or damaged. The download probably stopped early: delete it and "
                   "download it again.").replace("%1", str(a["path"]))
    if code == "unknown_architecture":
        return _tr("%1 uses the architecture '%2', which this version of VisionDesk does not support. "
                   "Choose another model.").replace("%1", _name(a["path"])).replace("%2", str(a["architecture"]))
    if code == "not_a_projector":
        return _tr("%1 is not the right kind of file here: pass the model as the model and the file whose name "
                   "contains 'mmproj' as the projector.").replace("%1", _name(a["path"]))
    if code == "projector_mismatch":
        return _tr("The projector %1 does not belong to the model %2. Use the mmproj file published with this "
                   "model.").replace("%1", _name(a["mmproj"])).replace("%2", _name(a["model"]))
    if code == "images_need_projector":
        return _tr("%1 was loaded without a vision projector, so it cannot see images. Load it together with "
                   "its mmproj file, or remove the images from the message.").replace(
            "%1", _name(a.get("model")) or _tr("The model"))
    if code == "context_overflow":
        return _tr("The conversation is %1 tokens long, but the context holds %2. Start a new chat, or raise "
                   "the context size in the settings.").replace("%1", str(a["prompt_tokens"])).replace(
            "%2", str(a["n_ctx"]))
    if code == "no_chat_template":
        return _tr("%1 has no chat template (it may be a base model). Use an instruction-tuned model.") \
            .replace("%1", _name(a["path"]))
    if code == "engine_crashed":
        return _tr("The model process stopped unexpectedly. The model file may be damaged or memory ran out. "
                   "Your conversation is kept; the next message restarts the model.")
    if code == "image_error":
        return _tr("Cannot use the image %1: %2").replace("%1", str(a["source"])).replace("%2", str(a["reason"]))
    return None


def error_text(error: BaseException) -> str:
    """``error`` as a sentence in the current UI language (its own message where no translation applies)."""
    code = getattr(error, "code", None)
    if isinstance(error, VisionDeskError) and isinstance(code, str):
        try:
            sentence = _sentence(code, error)
        except KeyError:  # rebuilt across processes without the attribute: its own words then
            sentence = None
        if sentence is not None:
            return sentence
    return str(error)
