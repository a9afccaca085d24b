"""Sentences of the local engine's errors: model files, the conversation, the model process, numbers."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from .fill import Attributes, Sentence, file_name, fill, seconds
from .images import reason_text

_T = QCoreApplication


def _images_need_projector(a: Attributes) -> str:
    model = file_name(a["model"]) or _T.translate("EngineErrors", "The model")
    return fill(_T.translate(
        "EngineErrors", "%1 was loaded without a vision projector, so it cannot see images. Load it together with its "
        "mmproj file, or remove the images from the message."), model)


def _json_file_unreadable(a: Attributes) -> str:
    templates = {
        ("schema", True): _T.translate("EngineErrors", "The JSON schema %1 is not valid JSON (%2)."),
        ("schema", False): _T.translate("EngineErrors", "Cannot read the JSON schema %1 (%2)."),
        ("preset", True): _T.translate("EngineErrors", "The preset %1 is not valid JSON (%2)."),
        ("preset", False): _T.translate("EngineErrors", "Cannot read the preset %1 (%2)."),
    }
    return fill(templates[(str(a["what"]), bool(a["not_json"]))], a["path"], a["detail"])


def _pdf_unreadable(a: Attributes) -> str:
    reasons = {
        "password": _T.translate("EngineErrors", "Cannot read the PDF %1: it is protected by a password. Open it in a "
                                 "PDF viewer, save or print a copy without the password, and attach that."),
        "damaged": _T.translate("EngineErrors", "Cannot read the PDF %1: it is damaged or not a complete PDF. "
                                "Download or export it again."),
        "no_pages": _T.translate("EngineErrors", "Cannot read the PDF %1: it has no pages."),
        "unopenable": _T.translate("EngineErrors", "Cannot read the PDF %1: the file could not be opened. Check that "
                                   "it is still there and that you may read it."),
        "crashed": _T.translate("EngineErrors", "Cannot read the PDF %1: the PDF reader stopped while drawing it, "
                                "which a damaged file can cause. Open it in a PDF viewer, print it to a new PDF, and "
                                "attach that."),
        "stuck": _T.translate("EngineErrors", "Cannot read the PDF %1: drawing its pages took over a minute and was "
                              "stopped. Open it in a PDF viewer, print the pages you need to a new PDF, and attach "
                              "that."),
    }
    return fill(reasons[str(a["reason_code"])], a["name"])


SENTENCES: dict[str, Sentence] = {
    "pdf_unreadable": _pdf_unreadable,
    "bad_gpu_split": lambda a: fill(_T.translate(
        "EngineErrors", "The GPU split must be 'auto', 'even' or one share per GPU separated by commas, such as 3,1 "
        "(at most %1, not all 0), not %2."), a["max_gpus"], a["shown"]),
    "page_range_invalid": lambda a: fill(_T.translate(
        "EngineErrors", "“%1” is not a page range of this %2-page PDF: write pages as 3-5, 9."), a["text"], a["total"]),
    "model_file_missing": lambda a: fill(_T.translate(
        "EngineErrors", "The file %1 does not exist. Check the path, or download it again from the model manager."),
        a["path"]),
    "not_a_model_file": lambda a: fill(_T.translate(
        "EngineErrors", "%1 is not a GGUF file: choose the .gguf file itself."), a["path"]),
    "not_gguf": lambda a: fill(_T.translate(
        "EngineErrors", "%1 is not a GGUF file. VisionDesk needs .gguf model files."), a["path"]),
    "truncated_gguf": lambda a: fill(_T.translate(
        "EngineErrors", "%1 is truncated or damaged. The download probably stopped early: delete it and download it "
        "again."), a["path"]),
    "unknown_architecture": lambda a: fill(_T.translate(
        "EngineErrors", "%1 uses the architecture '%2', which this version of VisionDesk does not support. Choose "
        "another model."), file_name(a["path"]), a["architecture"]),
    "not_a_projector": lambda a: fill(_T.translate(
        "EngineErrors", "%1 is not the right kind of file here: pass the model as the model and the file whose name "
        "contains 'mmproj' as the projector."), file_name(a["path"])),
    "projector_mismatch": lambda a: fill(_T.translate(
        "EngineErrors", "The projector %1 does not belong to the model %2. Use the mmproj file published with this "
        "model."), file_name(a["mmproj"]), file_name(a["model"])),
    "images_need_projector": _images_need_projector,
    "context_overflow": lambda a: fill(_T.translate(
        "EngineErrors", "The conversation is %1 tokens long, but the context holds %2. Start a new chat, or raise the "
        "context size in the settings."), a["prompt_tokens"], a["n_ctx"]),
    "no_chat_template": lambda a: fill(_T.translate(
        "EngineErrors", "%1 has no chat template (it may be a base model). Use an instruction-tuned model."),
        file_name(a["path"])),
    "image_error": lambda a: fill(_T.translate("EngineErrors", "Cannot use the image %1: %2"), a["source"],
                                  reason_text(a)),
    "chat_template_failed": lambda a: fill(_T.translate(
        "EngineErrors", "The model's chat template could not format this conversation (%1). Set another chat template "
        "for this model in the settings."), a["detail"]),
    "json_file_unreadable": _json_file_unreadable,
    "no_such_gpu": lambda a: fill(_T.translate(
        "EngineErrors", "The main GPU is %1, but this machine has %2 GPU(s), numbered from 0. Choose another main GPU "
        "in the settings."), a["main_gpu"], a["gpus"]),
    "gpu_split_mismatch": lambda a: fill(_T.translate(
        "EngineErrors", "The GPU split gives %1 shares, but this machine has %2 GPU(s): give one share per GPU, or "
        "'auto'."), a["shares"], a["gpus"]),
    "unsupported_schema": lambda a: fill(_T.translate(
        "EngineErrors", "The JSON schema cannot be used: generation cannot follow %1 at %2. Simplify the schema."),
        a["construct"], a["where"]),
    "answer_invalid": lambda a: fill(_T.translate(
        "EngineErrors", "The answer is not valid JSON for the schema (%1). Try again, or allow more tokens."),
        a["reason"]),
    "engine_crashed": lambda a: _T.translate(
        "EngineErrors", "The model process stopped unexpectedly. The model file may be damaged or memory ran out. Your "
        "conversation is kept; the next message restarts the model."),
    "engine_hung": lambda a: fill(_T.translate(
        "EngineErrors", "The model process stopped answering (nothing for %1 s), so it was stopped. Your conversation "
        "is kept; try again. If it happens again, choose a smaller model or a smaller context size."),
        seconds(a["waited_s"])),
    "engine_protocol": lambda a: _T.translate(
        "EngineErrors", "The model process and VisionDesk did not understand each other. This is a bug in VisionDesk; "
        "the next message restarts the model."),
    "engine_closed": lambda a: _T.translate("EngineErrors", "The model was closed; load it again to continue."),
    # No attributes beyond the English message (llama.cpp's words, a raise site without a class of its own): in
    # English the message itself, in another language the message behind a sentence that says what failed.
    "error": lambda a: fill(_T.translate("EngineErrors", "%1", "any error, its own message"), a["message"]),
    "input": lambda a: fill(_T.translate("EngineErrors", "%1", "unusable input, its own message"), a["message"]),
    "model_load_failed": lambda a: fill(_T.translate("EngineErrors", "%1", "a model load failed, llama.cpp's words"),
                                        a["message"]),
    "engine_failure": lambda a: fill(_T.translate("EngineErrors", "%1", "the model process failed, its words"),
                                     a["message"]),
    "bad_number": lambda a: fill(_T.translate(
        "EngineErrors", "%1 is not an allowed value here. Enter a number within the setting's range."), a["shown"]),
}
