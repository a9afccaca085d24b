"""Where the loaded model runs and why, in the UI's language: the header's badge, its tooltip, and a notice.

Built from the load's ``PlacementWhy`` (a code and its numbers), never by parsing the engine's English.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from visiondesk.engine.llama import LoadResult
from visiondesk.engine.llama.placement import PlacementWhy

from .error_sentences.fill import fill

_T = QCoreApplication

# Placements that run slower than the machine could because GPU memory was short: worth a notice at load.
SHORT_OF_MEMORY = ("partial_fit", "no_room", "out_of_memory", "split_overfills")


def _free(why: PlacementWhy) -> str:
    return " + ".join(f"{mib:,}" for mib in why.free_mib) + " MiB"


def _offloads_all(result: LoadResult) -> bool:
    return bool(result.gpu_layers >= result.n_layers)


def badge(result: LoadResult) -> str:
    """The badge beside the switcher: "CPU", "GPU (CUDA)", or "GPU (CUDA), 12/22 layers" when split with the CPU."""
    if not result.gpu_layers or result.backend.upper() == "CPU":
        return _T.translate("ModelPlacement", "CPU")
    if _offloads_all(result):
        return fill(_T.translate("ModelPlacement", "GPU (%1)"), result.backend)
    layers = _T.translate("ModelPlacement", "GPU (%1), %2/%3 layers")
    return fill(layers, result.backend, result.gpu_layers, result.n_layers)


def _sentence(why: PlacementWhy, gpus: str) -> str:
    """The first sentence: where the layers run, and why."""
    shown = min(why.layers, why.n_layers)  # the output head counts as one more layer to llama.cpp
    code = why.code
    if code == "whole_model":
        return fill(_T.translate("ModelPlacement", "The whole model runs on the GPU (%1)."), gpus)
    if code == "head_on_cpu":
        text = _T.translate("ModelPlacement", "All %1 layers run on the GPU (%2); only the output head stays on "
                            "the CPU.")
        return fill(text, why.n_layers, gpus)
    if code == "partial_fit":
        text = _T.translate("ModelPlacement", "%1 of %2 layers run on the GPU (%3), the rest on the CPU, which is "
                            "slower: the GPU had %4 free.")
        return fill(text, shown, why.n_layers, gpus, _free(why))
    if code == "no_room":
        text = _T.translate("ModelPlacement", "The model runs on the CPU, which is slower: the GPU had only %1 "
                            "free.")
        return fill(text, _free(why))
    if code == "split_overfills":
        text = _T.translate("ModelPlacement", "The GPU split %1 asks GPU %2 for %3 MiB but it has room for %4 MiB, "
                            "so only %5 of %6 layers run on the GPUs. With the split “auto” (Settings), %7 would.")
        return fill(text, why.split, why.gpu, f"{why.need_mib:,}", f"{why.room_mib:,}", shown, why.n_layers,
                     min(why.auto_layers, why.n_layers))
    if code == "layers_asked":
        text = _T.translate("ModelPlacement", "%1 of %2 layers run on the GPU (%3), as set under GPU layers in "
                            "Settings.")
        return fill(text, shown, why.n_layers, gpus)
    if code == "cpu_asked":
        return _T.translate("ModelPlacement", "The model runs on the CPU, as set under GPU layers in "
                            "Settings.")
    if code == "no_gpu":
        return _T.translate("ModelPlacement", "The model runs on the CPU: no GPU was found.")
    if code == "no_offload_build":
        return _T.translate("ModelPlacement", "The model runs on the CPU: this build of VisionDesk has no GPU "
                            "support.")
    text = _T.translate("ModelPlacement", "The GPU ran out of memory while loading, so %1 of %2 layers run on "
                        "it and the rest on the CPU, which is slower.")  # out_of_memory
    return fill(text, shown, why.n_layers)


def explanation(result: LoadResult) -> str:
    """Why the model runs where it does, with what to do when short GPU memory makes it slower."""
    why = result.placement
    if why is None:
        return _T.translate("ModelPlacement", "Where the model runs")
    parts = [_sentence(why, ", ".join(result.gpu_names) or result.backend)]
    if why.suggests_server:
        parts.append(_T.translate("ModelPlacement", "To run faster: close other programs that use the GPU, or "
                                  "choose a smaller quantization or a shorter context (Settings)."))
        parts.append(_T.translate("ModelPlacement", "A model too big for this computer's GPU runs fast on a server "
                                  "with a bigger one: add it under Model → Servers…"))
    return _join(parts)


def _join(sentences: list[str]) -> str:
    """Sentences one after another: a space after a Latin full stop, none after a CJK one (。)."""
    out = sentences[0]
    for sentence in sentences[1:]:
        out += ("" if out.endswith(("。", "！", "？")) else " ") + sentence
    return out


def notice(result: LoadResult) -> str:
    """A notice for a placement slowed by short GPU memory ("" for any other)."""
    why = result.placement
    if why is None or why.code not in SHORT_OF_MEMORY:
        return ""
    text = _T.translate("ModelPlacement", "%1 runs partly or wholly on the CPU because GPU memory was short, so "
                        "answers are slower. Point at the badge “%2” for the details.")
    return fill(text, result.model_name, badge(result))
