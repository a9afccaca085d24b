"""The layer fit over several GPUs of unequal free memory: arithmetic, then loads on simulated devices.

No machine here has two GPUs: the devices are the engine's test seam (``Tuning.simulated_gpus``), named as
such; layers "on" them run on the CPU. What a real split does on two GPUs is for a 2-GPU machine to show.
"""

from __future__ import annotations

import pytest
from visiondesk.engine import InputError, Message, ModelSpec
from visiondesk.engine.llama import LocalEngine
from visiondesk.engine.llama.worker.devices import device_handle
from visiondesk.engine.llama.worker.gpu_fit import FitInput, MiB, assign_layers, plan_layers
from visiondesk.engine.requests import SimulatedGpu, Tuning

from tests.engine.conftest import run, spec
from tests.model_factory import GeneratedModels

# 32 blocks of 100 MiB, each with 16 MiB of KV cache; a 300 MiB output head; a 600 MiB projector (+256 MiB
# for its compute buffer); 512 MiB reserved on every GPU for compute buffers. The whole model: 4012 MiB.
BLOCK = 116


def fit(*free_mib: int, **kw: object) -> FitInput:
    base: dict[str, object] = {"layer_bytes": (100 * MiB,) * 32, "non_layer_bytes": 300 * MiB,
                               "kv_bytes_per_layer": 16 * MiB, "projector_bytes": 600 * MiB,
                               "free_bytes": tuple(f * MiB for f in free_mib)}
    base.update(kw)
    return FitInput(**base)  # type: ignore[arg-type]


def test_layers_are_assigned_as_llama_cpp_assigns_them() -> None:
    # llama_model::load_tensors: the last `offloaded` layers, layer j to the first device whose cumulative
    # share exceeds j / offloaded.
    assert assign_layers(32, 33, (0.5, 0.5)) == (17, 16)
    assert assign_layers(32, 33, (0.75, 0.25)) == (25, 8)
    assert assign_layers(32, 10, (0.5, 0.5)) == (5, 5)
    assert assign_layers(32, 0, (0.5, 0.5)) == (0, 0)
    assert assign_layers(32, 33, (1.0,)) == (33,)


def test_two_gpus_hold_a_model_neither_holds_alone() -> None:
    bigger_alone = plan_layers(fit(4096))
    smaller_alone = plan_layers(fit(3072))
    assert bigger_alone.gpu_layers < 32 and smaller_alone.gpu_layers < 32
    assert "vLLM" in bigger_alone.why.english()  # too big for this GPU: the remote backend is the way

    plan = plan_layers(fit(4096, 3072))
    assert plan.gpu_layers == 33 and plan.why.english() == "the whole model fits on 2 GPUs"
    # The projector goes on the GPU with the most free memory; the split follows the room each GPU has left.
    assert plan.main_gpu == 0 and plan.projector_on_gpu
    room = (4096 - 512 - 856, 3072 - 512)
    assert plan.tensor_split == pytest.approx(tuple(r / sum(room) for r in room))
    assert plan.layers_per_gpu == (18, 15) and sum(plan.layers_per_gpu) == 33
    # Each GPU's layers (and the output head on the last) fit in its own room.
    assert 18 * BLOCK <= room[0] and 14 * BLOCK + 300 <= room[1]


def test_one_gpus_free_memory_no_longer_sizes_the_offload() -> None:
    # The old arithmetic sized the offload from the larger GPU alone; with both, more layers go to GPUs.
    assert plan_layers(fit(4096, 2048)).gpu_layers > plan_layers(fit(4096)).gpu_layers


def test_a_forced_split_that_overflows_the_smaller_gpu_falls_back_with_the_reason() -> None:
    plan = plan_layers(fit(6144, 2048, split=(1.0, 1.0)))
    # Half of the model on GPU 1 (2048 MiB, 1536 after the reserve) does not fit: fewer layers, and why.
    assert 0 < plan.gpu_layers < 33
    assert all(layers * BLOCK <= room for layers, room in zip(plan.layers_per_gpu, (6144 - 512 - 856, 1536),
                                                              strict=True))
    reason = plan.why.english()
    assert "the GPU split 1,1 asks GPU 1 for" in reason and "room for 1536 MiB" in reason
    assert f"only {plan.gpu_layers} of 32 layers" in reason and "'auto' would offload 33" in reason
    why = plan.why
    assert (why.code, why.split, why.gpu, why.room_mib, why.auto_layers) == ("split_overfills", "1,1", 1, 1536, 33)
    assert plan_layers(fit(6144, 2048)).gpu_layers == 33


def test_even_split() -> None:
    plan = plan_layers(fit(5120, 5120, split="even"))
    assert plan.tensor_split == (0.5, 0.5) and plan.layers_per_gpu == (17, 16) and plan.gpu_layers == 33


def test_the_main_gpu_holds_the_projector() -> None:
    default = plan_layers(fit(3072, 5120))
    assert default.main_gpu == 1 and default.projector_on_gpu  # the most free memory
    forced = plan_layers(fit(3072, 5120, main_gpu=0))
    assert forced.main_gpu == 0 and forced.projector_on_gpu
    # The projector's 856 MiB come out of GPU 0's room, so GPU 0 gets a smaller share of the layers.
    assert forced.tensor_split[0] < default.tensor_split[0]
    room = (3072 - 512 - 856, 5120 - 512)
    assert forced.tensor_split == pytest.approx((room[0] / sum(room), room[1] / sum(room)))


def test_a_gpu_this_machine_lacks_is_refused_in_one_sentence() -> None:
    with pytest.raises(InputError, match=r"^The main GPU is 2, but this machine has 2 GPUs \(numbered from 0\)\.$"):
        plan_layers(fit(4096, 4096, main_gpu=2))
    with pytest.raises(InputError, match=r"^The GPU split gives 3 shares, but this machine has 2 GPUs"):
        plan_layers(fit(4096, 4096, split=(1.0, 1.0, 1.0)))


def test_no_room_on_any_gpu_means_the_cpu_and_the_remote_backend() -> None:
    plan = plan_layers(fit(400, 300))
    assert plan.gpu_layers == 0 and "running on the CPU" in plan.why.english() and "400 + 300 MiB" in plan.why.english()
    assert "vLLM with tensor parallelism" in plan.why.english()
    assert plan.why.code == "no_room" and plan.why.free_mib == (400, 300)


def test_the_projectors_device_is_found_by_its_ggml_name() -> None:
    # libmtmd takes the projector's device as a ggml handle (mtmd_context_params.device); the real registry here
    # has the CPU device only, which is enough to show the lookup and its refusal of a name it does not know.
    assert device_handle("CPU") is not None
    assert device_handle("NoSuchGPU7") is None


def simulated(*gpus: SimulatedGpu) -> Tuning:
    """FAKE: the engine's test seam for GPUs that do not exist here."""
    return Tuning(simulated_gpus=gpus)


def test_a_load_over_two_simulated_gpus_reports_the_layers_on_each(test_models: GeneratedModels) -> None:
    """FAKE: two simulated GPUs of unequal free memory; the load plans layers on both and answers."""
    with LocalEngine() as e:
        result = e.load(spec(test_models, gpu_layers="auto", tuning=simulated(SimulatedGpu(6144), SimulatedGpu(4096))))
        assert result.gpu_names == ("FakeGPU0", "FakeGPU1") and result.backend == "FakeGPU"
        assert sum(result.layers_per_gpu) == result.gpu_layers == result.n_layers + 1
        assert result.layers_per_gpu[0] >= result.layers_per_gpu[1] > 0  # the larger GPU takes more
        assert result.projector_device == "FakeGPU0"
        _, fin, _ = run(e, [Message.user("two GPUs?")])
        assert fin.error is None


def test_a_simulated_gpu_running_out_falls_back_to_fewer_layers(test_models: GeneratedModels) -> None:
    """FAKE: the second simulated GPU "fails to allocate" any layer; the even split gives it one of the three
    (two blocks and the output head), so the load falls back to the one layer the first GPU takes alone."""
    tuning = simulated(SimulatedGpu(8192), SimulatedGpu(8192, max_layers=0))
    with LocalEngine() as e:
        result = e.load(spec(test_models, gpu_layers="auto", gpu_split="even", tuning=tuning))
        assert result.n_layers == 2 and result.gpu_layers == 1 and result.layers_per_gpu == (1, 0)
        assert "out of GPU memory" in result.fallback_reason and "on FakeGPU1" in result.fallback_reason
        assert "vLLM with tensor parallelism" in result.fallback_reason  # the way for what this machine cannot hold


def test_model_spec_refuses_bad_splits_in_one_sentence(test_models: GeneratedModels) -> None:
    for bad in ((), (-1.0, 1.0), (0.0, 0.0), "half", (1.0,) * 17):
        with pytest.raises(InputError, match=r"^(The GPU split|A GPU's share of the split) must be"):
            ModelSpec(model=test_models.model, gpu_split=bad)  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"^The main GPU must be a GPU's number, from 0 to 15, not -1\.$"):
        ModelSpec(model=test_models.model, main_gpu=-1)
    assert ModelSpec(model=test_models.model, gpu_split=[3, 1]).gpu_split == (3.0, 1.0)  # type: ignore[arg-type]
