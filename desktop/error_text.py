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

_T = QCoreApplication


def _name(value: object) -> str:
    return Path(str(value)).name if value else ""


def _template(code: str) -> str | None:
    """The sentence for ``code`` in the current language, with %1, %2 for what the error names."""
    templates = {
        "model_file_missing": _T.translate(
            "EngineErrors", "The file %1 does not exist. Check the path, or download it again from the model "
            "manager."),
        "not_a_model_file": _T.translate("EngineErrors", "%1 is not a GGUF file: choose the .gguf file itself."),
        "not_gguf": _T.translate("EngineErrors", "%1 is not a GGUF file. VisionDesk needs .gguf model files."),
        "truncated_gguf": _T.translate(
            "EngineErrors", "%1 is truncated or damaged. The download probably stopped early: delete it and "
            "download it again."),
        "unknown_architecture": _T.translate(
            "EngineErrors", "%1 uses the architecture '%2', which this version of VisionDesk does not support. "
            "Choose another model."),
        "not_a_projector": _T.translate(
            "EngineErrors", "%1 is not the right kind of file here: pass the model as the model and the file whose "
            "name contains 'mmproj' as the projector."),
        "projector_mismatch": _T.translate(
            "EngineErrors", "The projector %1 does not belong to the model %2. Use the mmproj file published with "
            "this model."),
        "images_need_projector": _T.translate(
            "EngineErrors", "%1 was loaded without a vision projector, so it cannot see images. Load it together "
            "with its mmproj file, or remove the images from the message."),
        "context_overflow": _T.translate(
            "EngineErrors", "The conversation is %1 tokens long, but the context holds %2. Start a new chat, or "
            "raise the context size in the settings."),
        "no_chat_template": _T.translate(
            "EngineErrors", "%1 has no chat template (it may be a base model). Use an instruction-tuned model."),
        "engine_crashed": _T.translate(
            "EngineErrors", "The model process stopped unexpectedly. The model file may be damaged or memory ran "
            "out. Your conversation is kept; the next message restarts the model."),
        "image_error": _T.translate("EngineErrors", "Cannot use the image %1: %2"),
    }
    return templates.get(code)


def _fill_ins(code: str, a: dict[str, object]) -> tuple[str, ...]:
    """What %1, %2 stand for in ``code``'s sentence (a KeyError when the error lacks an attribute)."""
    if code in ("model_file_missing", "not_a_model_file", "not_gguf", "truncated_gguf"):
        return (str(a["path"]),)
    if code == "unknown_architecture":
        return _name(a["path"]), str(a["architecture"])
    if code in ("not_a_projector", "no_chat_template"):
        return (_name(a["path"]),)
    if code == "projector_mismatch":
        return _name(a["mmproj"]), _name(a["model"])
    if code == "images_need_projector":
        return (_name(a.get("model")) or _T.translate("EngineErrors", "The model"),)
    if code == "context_overflow":
        return str(a["prompt_tokens"]), str(a["n_ctx"])
    if code == "image_error":
        return str(a["source"]), str(a["reason"])
    return ()


def error_text(error: BaseException) -> str:
    """``error`` as a sentence in the current UI language (its own message where no translation applies)."""
    code = getattr(error, "code", None)
    if not isinstance(error, VisionDeskError) or not isinstance(code, str):
        return str(error)
    template = _template(code)
    try:
        values = _fill_ins(code, vars(error))
    except KeyError:  # rebuilt across processes without the attribute: its own words then
        return str(error)
    if template is None:
        return str(error)
    for i, value in enumerate(values, start=1):
        template = template.replace(f"%{i}", value)
    return template
