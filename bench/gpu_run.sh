#!/bin/bash
# The GPU run, on the device machine, from the project root, with .gpu/ carried (../shared/gpu/prepare.sh).
#   bash bench/gpu_run.sh all       # build + models + the benchmark in one call (~8-9 min; no profile)
#   bash bench/gpu_run.sh prepare   # CUDA build of llama.cpp + the models (generated there, ~7 min)
#   bash bench/gpu_run.sh bench     # the benchmark, then a py-spy profile (reuses both if still warm)
#   bash bench/gpu_run.sh restart   # bench/restart_followup.py --gpu: follow-up after an app restart (~1 min warm)
# Results land in $OUT: RESULTS-gpu.md (the section), gpu.json (raw figures, saved after every step, so a
# run cut short still brings back what it measured), bench.log, profile-summary.txt + prof.tgz
# (bench/profile_engine.py; needs the py-spy wheel in .gpu/whl). BENCH_ARGS adds arguments to the bench.
# BUDGET_S (default 585) stops the benchmark in time for the device tool's per-call limit.
# VD_COMMIT=<short hash> names the commit in the section: the device's copy of .git can be stale.
set -o pipefail
PHASE=${1:-bench}
OUT=${OUT:-/tmp/out}
BUDGET_S=${BUDGET_S:-585}
T_START=$(date +%s)
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --target /tmp/site .gpu/whl/*.whl
export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
GEN="import sys; sys.path.insert(0, 'bench'); import bench_models as b; b.pregenerate()"
t0=$(date +%s)
python3 -c "$GEN" > /tmp/gen.log 2>&1 &   # the f16 models, while llama.cpp builds
GEN_PID=$!
# shellcheck disable=SC1091
source .gpu/build-cuda.sh
wait $GEN_PID || { cat /tmp/gen.log; exit 1; }
echo "build + f16 models: $(( $(date +%s) - t0 )) s"; cat /tmp/gen.log
python3 bench/bench_models.py 2>&1 | tail -3 || exit 1    # quantize (cached)
echo "prepared after $(( $(date +%s) - T_START )) s"
nvidia-smi --query-gpu=name,memory.total,memory.used,driver_version --format=csv
if [ "$PHASE" = bench ] || [ "$PHASE" = all ]; then
  LEFT=$(( BUDGET_S - ($(date +%s) - T_START) ))
  # shellcheck disable=SC2086
  timeout "$LEFT" python3 bench/run_engine_bench.py --no-gemma --out "$OUT/RESULTS-gpu.md" --json "$OUT/gpu.json" \
    $BENCH_ARGS > "$OUT/bench.log" 2>&1
  echo "bench exit $? after $(( $(date +%s) - T_START )) s"
  grep '^\[bench' "$OUT/bench.log"
fi
if [ "$PHASE" = bench ] || [ "$PHASE" = profile ]; then   # py-spy wheel in .gpu/whl (optional)
  timeout 240 python3 bench/profile_engine.py /tmp/prof --py-spy /tmp/site/bin/py-spy > "$OUT/profile.log" 2>&1
  cp /tmp/prof/profile-summary.txt "$OUT/" 2>/dev/null; tar czf "$OUT/prof.tgz" -C /tmp/prof . 2>/dev/null
fi
if [ "$PHASE" = restart ]; then   # issue 24: follow-up after an app restart (RESTART_ARGS adds arguments)
  # shellcheck disable=SC2086
  timeout $(( BUDGET_S - ($(date +%s) - T_START) )) python3 bench/restart_followup.py --gpu --out "$OUT/restart.md" \
    --json "$OUT/restart.json" $RESTART_ARGS 2>&1 | tee "$OUT/restart.log" | tail -12
fi
