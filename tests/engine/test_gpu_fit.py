"""Layer-fit arithmetic, and the fall-back path with a simulated GPU (no GPU exists here)."""

from __future__ import annotations

from visiondesk.engine import Message
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.llama.worker.gpu_fit import FitInput, MiB, fallback_steps, plan_layers
from visiondesk.engine.requests import SimulatedGpu, Tuning

from tests.engine.conftest import run, spec
from tests.model_factory import GeneratedModels

GiB = 1024 * MiB


def fit(free: int, **kw: int) -> FitInput:
    base = {"layer_bytes": (100 * MiB,) * 32, "non_layer_bytes": 300 * MiB, "kv_bytes_per_layer": 16 * MiB,
            "projector_bytes": 600 * MiB, "free_bytes": (free,)}
    base.update(kw)
    return FitInput(**base)  # type: ignore[arg-type]


def test_everything_fits() -> None:
    plan = plan_layers(fit(16 * GiB))
    assert plan.gpu_layers == 33 and plan.projector_on_gpu
    assert plan.why.code == "whole_model" and plan.why.english() == "the whole model fits on the GPU"


def test_part_of_the_layers_fit() -> None:
    # 2048 MiB - 512 reserve - (600 + 256) projector = 680 MiB for 116 MiB layers (weights + KV) → 5
    plan = plan_layers(fit(2 * GiB))
    assert plan.gpu_layers == 5
    assert plan.projector_on_gpu
    assert "5 of 32" in plan.why.english()
    assert (plan.why.code, plan.why.layers, plan.why.n_layers, plan.why.free_mib) == ("partial_fit", 5, 32, (2048,))
    assert plan.why.suggests_server and "vLLM" in plan.why.english()


def test_kv_cache_is_counted() -> None:
    small_ctx = plan_layers(fit(4 * GiB, kv_bytes_per_layer=1 * MiB))
    big_ctx = plan_layers(fit(4 * GiB, kv_bytes_per_layer=200 * MiB))
    assert big_ctx.gpu_layers < small_ctx.gpu_layers


def test_projector_stays_on_cpu_when_it_cannot_fit() -> None:
    plan = plan_layers(fit(1000 * MiB, projector_bytes=900 * MiB))
    assert not plan.projector_on_gpu
    assert plan.gpu_layers == 4  # (1000 - 512) // 116


def test_no_room_means_cpu() -> None:
    plan = plan_layers(fit(300 * MiB))
    assert plan.gpu_layers == 0 and "CPU" in plan.why.english()
    assert plan.why.code == "no_room" and plan.why.free_mib == (300,)


def test_all_blocks_but_not_the_output_head() -> None:
    plan = plan_layers(fit(32 * 116 * MiB + 512 * MiB + 856 * MiB + 100 * MiB))
    assert plan.gpu_layers == 32
    assert plan.why.code == "head_on_cpu" and not plan.why.suggests_server


def test_fallback_steps_halve_then_cpu() -> None:
    assert fallback_steps(33) == [16, 8, 4, 2, 1, 0]
    assert fallback_steps(1) == [0]


def simulated(free_mib: int, max_layers: int | None = None) -> Tuning:
    """FAKE: the engine's test seam for a GPU that does not exist here."""
    return Tuning(simulated_gpus=(SimulatedGpu(free_mib, max_layers),))


def test_simulated_out_of_memory_falls_back_to_fewer_layers(test_models: GeneratedModels) -> None:
    """FAKE: a simulated 8 GiB GPU on which more than one layer "fails to allocate"."""
    with LocalEngine() as e:
        result = e.load(spec(test_models, gpu_layers="auto", tuning=simulated(8192, 1)))
        assert result.gpu_layers == 1 and result.warmup_tokens == 0  # partly on the "GPU": no warm-up
        assert result.backend == "FakeGPU"
        assert "out of GPU memory" in result.fallback_reason and "simulated" in result.fallback_reason
        assert result.placement is not None and result.placement.code == "out_of_memory"
        assert result.placement.layers == 1 and result.fallback_reason == result.placement.english()
        _, fin, _ = run(e, [Message.user("still works?")])
        assert fin.error is None and fin.gpu_layers == 1


def test_full_offload_warms_up_with_a_full_batch_and_leaves_no_trace(test_models: GeneratedModels,
                                                                      engine: LocalEngine) -> None:
    """FAKE: a simulated GPU with room for every layer (they run on the CPU). The load runs one full
    micro-batch (what llama-bench's warm-up pays for on a real GPU), and answers stay those of a CPU load."""
    assert engine.loaded is not None and engine.loaded.warmup_tokens == 0  # CPU: no full-batch warm-up
    cpu_text, _, _ = run(engine, [Message.user("warm or cold, the same answer")])
    with LocalEngine() as e:
        result = e.load(spec(test_models, gpu_layers="auto", tuning=simulated(8192)))
        assert result.gpu_layers > result.n_layers  # every layer and the output "on the GPU"
        assert result.warmup_tokens == min(512, result.n_ctx - 1)
        text, fin, _ = run(e, [Message.user("warm or cold, the same answer")])
        assert fin.error is None and fin.usage.prompt_tokens_evaluated == fin.usage.prompt_tokens
        assert text == cpu_text


def test_simulated_out_of_memory_ends_on_the_cpu(test_models: GeneratedModels) -> None:
    """FAKE: a simulated GPU on which no layer fits."""
    with LocalEngine() as e:
        result = e.load(spec(test_models, gpu_layers=3, tuning=simulated(8192, 0)))
        assert result.gpu_layers == 0 and result.backend == "CPU"
        assert "now 0 layers" in result.fallback_reason


def test_cpu_build_reports_why_nothing_is_offloaded(engine: LocalEngine) -> None:
    assert engine.loaded is not None
    assert engine.loaded.gpu_layers == 0
    assert engine.loaded.fallback_reason == "this build of llama.cpp has no GPU offload"
    assert engine.loaded.placement is not None and engine.loaded.placement.code == "no_offload_build"
