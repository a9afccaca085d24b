"""Where the model runs and why: the header's badge and its tooltip, and a notice when short GPU memory slows it,
in English and Chinese, from the load's placement code (never from the engine's English sentence)."""

from __future__ import annotations

import dataclasses
import re

from visiondesk.engine import ModelSpec
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.requests import SimulatedGpu, Tuning

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_cpu_build_says_why_in_the_badges_tooltip_and_gives_no_notice(qtbot, shell) -> None:
    w, result = shell.window, shell.model.result
    assert result.placement is not None and result.placement.code == "no_offload_build"  # a CPU build here
    assert w.header.runs_on.text() == "CPU"
    assert w.header.runs_on.toolTip() == "The model runs on the CPU: this build of VisionDesk has no GPU support."
    assert not w.notice.isVisible()  # nothing slowed it down: nothing to say


def test_short_gpu_memory_is_explained_and_noticed_once_in_either_language(qtbot, shell, test_models) -> None:
    """FAKE: the engine's simulated GPU (none exists here), on which more than one layer "fails to allocate":
    the real load falls back to 1 layer and reports it as out of memory; the real header shows it."""
    tuning = Tuning(simulated_gpus=(SimulatedGpu(8192, 1),))
    with LocalEngine() as engine:
        result = engine.load(ModelSpec(model=test_models.model, mmproj=test_models.mmproj, n_ctx=2048,
                                       gpu_layers="auto", tuning=tuning))
    n = result.n_layers
    assert result.placement is not None and result.placement.code == "out_of_memory" and result.gpu_layers == 1
    header, w = shell.header, shell.window
    badge = w.header.runs_on
    header.model_state("loaded", result)
    header.model_loaded(result)
    assert badge.text() == f"GPU (FakeGPU), 1/{n} layers"
    tip = badge.toolTip()
    assert tip.startswith(f"The GPU ran out of memory while loading, so 1 of {n} layers run on it and the rest on "
                          "the CPU, which is slower.")
    assert "smaller quantization" in tip and "Model → Servers…" in tip  # what to do about it
    assert "out of GPU memory with" not in tip  # the engine's English, with llama.cpp's words, stays in the log
    text = w.notice.label.text()
    assert w.notice.isVisible() and result.model_name in text and f"“{badge.text()}”" in text
    w.notice.hide()
    header.model_loaded(result)  # the same model placed the same way again (a batch job's reload): said once
    assert not w.notice.isVisible()

    shell.set_language("zh_CN")
    try:
        assert badge.text() == f"GPU（FakeGPU），1/{n} 层"
        tip = badge.toolTip()
        assert tip.startswith(f"加载时 GPU 内存不足，因此 {n} 层中只有 1 层在 GPU 上运行") and "模型 → 服务器…" in tip
        assert not re.search(r"\b(the|GPU memory|layers)\b", tip)  # no English sentence left in it
        assert "。 " not in tip  # Chinese sentences follow one another without a space
        header.model_loaded(placed_with(result, 0))  # placed differently (all on the CPU): said again, in Chinese
        assert w.notice.isVisible() and w.notice.label.text().startswith("由于 GPU 内存不足，")
        assert "标记“CPU”" in w.notice.label.text()
    finally:
        shell.set_language("en")


def test_every_placement_code_has_a_sentence_in_both_languages(qtbot, shell, data_dir) -> None:
    """Each code the engine can report reads as its own sentence, with its numbers, in English and Chinese."""
    from visiondesk.desktop import placement_text
    from visiondesk.engine.llama.placement import CODES, PlacementWhy

    base = shell.model.result
    samples = {code: PlacementWhy(code, 7, 22, (3000,), split="1,1", gpu=1, need_mib=4096, room_mib=1536,
                                  auto_layers=23, failures=("16 layers: cudaMalloc failed",)) for code in CODES}
    for language, marker in (("en", re.compile(r"[A-Za-z]")), ("zh_CN", CJK)):
        shell.set_language(language)
        try:
            seen = set()
            for code, why in samples.items():
                layers = 0 if code in ("no_room", "cpu_asked", "no_gpu", "no_offload_build") else why.layers
                result = dataclasses.replace(base, placement=why, gpu_layers=layers, n_layers=22,
                                             backend="CUDA" if layers else "CPU", gpu_names=("RTX 4060",))
                text = placement_text.explanation(result)
                assert marker.search(text) and "%" not in text, (language, code, text)
                assert ("7" in text) == (code in ("partial_fit", "split_overfills", "layers_asked", "out_of_memory")), \
                    (language, code, text)
                assert ("3,000 MiB" in text) == (code in ("partial_fit", "no_room")), (language, code, text)
                assert ("RTX 4060" in text) == (code in ("whole_model", "head_on_cpu", "partial_fit", "layers_asked"))
                assert bool(placement_text.notice(result)) == (code in placement_text.SHORT_OF_MEMORY)
                seen.add(text)
            assert len(seen) == len(CODES)  # one sentence per code
        finally:
            shell.set_language("en")


def placed_with(result, layers: int):
    """``result`` as if the load had ended on ``layers`` GPU layers."""
    return dataclasses.replace(result, gpu_layers=layers, backend=result.backend if layers else "CPU",
                               placement=dataclasses.replace(result.placement, layers=layers))
