"""The llama-cpp-python peer's figures, in a process of its own.

``llama_cpp`` is imported before anything that imports numpy: with the CUDA build on the H100, importing
numpy first made ``llama_model_load_from_file`` segfault (seen with ``import numpy`` / ``import gguf``
ahead of ``Llama(...)``; fine the other way round). A separate process also keeps a crash of the peer
from taking the whole benchmark down.

    python bench/peer_run.py ARGS_JSON OUT_JSON     (run_engine_bench does this)
"""

# isort: skip_file
from __future__ import annotations

import llama_cpp  # noqa: F401 - first, see above

import json
import sys
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    a = json.loads(sys.argv[1])
    out = Path(sys.argv[2])
    import run_engine_bench as rb
    from peers import LlamaCppPythonPeer

    res: dict[str, object] = {}

    def save() -> None:
        out.write_text(json.dumps(res, default=str))

    images = [Path(p) for p in a["images"]]
    try:
        p = LlamaCppPythonPeer(Path(a["model"]), Path(a["mmproj"]), a["threads"], a["ngl"])
        res["peer"] = rb.peer_figures(p, a["reps"], images, 0, True, a["answer"], a["cap"])
        save()
        res["peer"].update(rb.peer_stream(p, a["stream_tokens"], a["stream_reps"], a["cap"]))  # type: ignore[union-attr]
        save()
        p.close()
        p = LlamaCppPythonPeer(Path(a["cjk_model"]), None, a["threads"], a["ngl"])
        res["peer_cjk_stream"] = rb.peer_stream(p, a["stream_tokens"], 1, a["cap"])
        p.close()
    except Exception as e:  # noqa: BLE001 - reported in the table
        res["error"] = "".join(traceback.format_exception_only(e)).strip()[-800:]
        traceback.print_exc()
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
