#!/bin/bash
# On the device machine, .gpu/ carried with .gpu/old/ (an earlier checkout's packaging/visiondesk, engine, models:
# `git archive <commit> packaging/visiondesk engine models | tar x -C .gpu/old`): the CUDA build, the 1.1B Q4_K_M
# bench model, then bench/decode_ab.py (this engine against the old one, llama-bench in each round) and the forced
# lack of GPU memory with ~110 GiB of the GPU held by another process (a GPU larger than the host's memory cannot
# otherwise be made to run short). Results under $OUT.
set -o pipefail
OUT=${OUT:-/tmp/out}; mkdir -p "$OUT"
# shellcheck disable=SC1091
source .gpu/build-cuda.sh > /tmp/build.log 2>&1 || { tail -20 /tmp/build.log; exit 1; }
M=$(python3 -c "import sys, shutil; sys.path.insert(0, 'bench'); import bench_models as b; from pathlib import Path
print(b._text_model('llama1b-chatml', Path(shutil.which('llama-quantize')), 16))" 2>/tmp/models.log | tail -1)
echo "model: $M"; export M
timeout 300 python3 bench/decode_ab.py "$M" --old .gpu/old --rounds "${AB_ROUNDS:-5}" --json "$OUT/ab.json" 2>&1 | tail -8
python3 -c "import torch, time; x = torch.empty(110 * 2**30, dtype=torch.uint8, device='cuda'); print('holding', flush=True); time.sleep(240)" &
sleep 20; nvidia-smi --query-gpu=memory.used,memory.total --format=csv
timeout 150 python3 - <<'PY' 2>&1 | tail -6
import os, sys
sys.path.insert(0, "bench")
import shim
shim.ensure_visiondesk()
from visiondesk.engine import Finished, Message, ModelSpec, SamplingParams
from visiondesk.engine.llama import LocalEngine
with LocalEngine() as e:
    r = e.load(ModelSpec(model=os.environ["M"], n_ctx=4_194_304, gpu_layers="auto"))
    print("forced lack of memory: loaded on", r.backend, r.gpu_layers, "of", r.n_layers, "layers; reason:", r.fallback_reason)
    fin = [ev for ev in e.chat([Message.user("hi")], SamplingParams(temperature=0, max_tokens=8)) if isinstance(ev, Finished)][0]
    print("answered:", fin.stop_reason, fin.error)
PY
