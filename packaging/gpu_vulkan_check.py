"""The engine on the distribution build's libraries, for packaging/gpu_vulkan.sh: doctor's backend lines, one answer.

Run with ``LLAMA_CPP_LIB_PATH``/``MTMD_CPP_LIB`` pointing at the build's ``lib`` folder; prints one JSON object.

    python packaging/gpu_vulkan_check.py doctor            # {"cpu_line", "gpu_line", "backends"}
    python packaging/gpu_vulkan_check.py answer MODEL.gguf # {"backend", "gpu_layers", "text", "decode_tok_s", ...}
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from shim import ensure_visiondesk  # noqa: E402

ensure_visiondesk()

from visiondesk.engine import Finished, Message, ModelSpec, SamplingParams, TextDelta  # noqa: E402
from visiondesk.engine.llama import LocalEngine  # noqa: E402
from visiondesk.engine.llama.backend_choice import BackendChoice  # noqa: E402

QUESTION = "Describe a sunset over the sea in three sentences."


def doctor() -> dict[str, object]:
    """The backends the engine's child chose, as doctor words them."""
    with LocalEngine() as engine:
        info = engine.system_info()
    choice = BackendChoice.from_dict(info["backends"])
    return {"cpu_line": choice.cpu_line(), "gpu_line": choice.gpu_line(), "backends": info["backends"],
            "gpu_offload": info["gpu_offload"]}


def answer(model: Path, max_tokens: int = 128) -> dict[str, object]:
    """One greedy answer with every layer that fits offloaded (the engine's default), and its speed."""
    with LocalEngine() as engine:
        loaded = engine.load(ModelSpec(model=model, n_ctx=2048))
        events = list(engine.chat([Message.user(QUESTION)], SamplingParams(temperature=0.0, max_tokens=max_tokens)))
    final = events[-1]
    assert isinstance(final, Finished)
    return {"backend": loaded.backend, "gpu_layers": loaded.gpu_layers, "n_layers": loaded.n_layers,
            "gpus": list(loaded.gpu_names), "why": loaded.fallback_reason, "error": str(final.error or ""),
            "completion_tokens": final.usage.completion_tokens, "prompt_tokens": final.usage.prompt_tokens,
            "decode_tok_s": round(final.timings.decode_tok_s, 1), "prompt_tok_s": round(final.timings.prompt_tok_s, 1),
            "ttft_ms": round(final.timings.ttft_ms, 1),
            "text": "".join(e.text for e in events if isinstance(e, TextDelta))[:300]}


if __name__ == "__main__":
    result = doctor() if sys.argv[1] == "doctor" else answer(Path(sys.argv[2]))
    print(json.dumps(result, ensure_ascii=False))
