#!/bin/bash
# The GPU run, on the device machine, from the project root, with .gpu/ carried (../shared/gpu/prepare.sh).
#   bash bench/gpu_run.sh all       # build + models + the benchmark in one call (~8-9 min; no profile)
#   bash bench/gpu_run.sh prepare   # CUDA build of llama.cpp + the models (generated there, ~7 min)
#   bash bench/gpu_run.sh bench     # the benchmark, then a py-spy profile (reuses both if still warm)
#   bash bench/gpu_run.sh depth     # issue 24, after `prepare` (~5 min warm): bench/depth_bench.py --gpu, the
#                                   # decode A/B at depth 2048 against .gpu/old (or git archive of $AB_OLD,
#                                   # default db2bf1b), bench/load_bench.py --gpu; depth.md, ab.json, load.md
#   bash bench/gpu_run.sh decode    # the same without load_bench ($DEPTH_ROUNDS, $AB_ROUNDS: rounds of each)
#   bash bench/gpu_run.sh parts     # issue 24, after `prepare`: bench/depth_bench.py --gpu --parts, $PARTS_ROUNDS
#                                   # (default 4) rounds (~80 s each warm): the conversation, a text-only prompt of
#                                   # the same depth and the bare llama_decode+argmax loop, each against llama-bench
#                                   # in the same round -> depth-parts.md, depth-parts.json
#   bash bench/gpu_run.sh native    # issue 24, after `prepare`: bench/native_decode_probe.py --gpu, $NATIVE_ROUNDS
#                                   # (default 3): the decode loop in C against the same loop in Python and llama-bench
#                                   # (native_loop.c, built here against the CUDA libllama) -> native.md, native.json
#   bash bench/gpu_run.sh batch     # prepare (cached if warm), then bench/batch_bench.py on the realistic models:
#                                   # 64 images at 1, 2, 4, 8 parallel sequences vs sequential -> RESULTS-batch-gpu.md
#   bash bench/gpu_run.sh restart   # bench/restart_followup.py --gpu: follow-up after an app restart (~1 min warm)
#   bash bench/gpu_run.sh attach    # bench/attach_ttft.py --gpu: Send to first token, image attached earlier (<1 min warm)
#   bash bench/gpu_run.sh probe     # issue 22: llama-batched-bench (650-token prompts, 64/128-token answers, 1-8
#                                   # sequences, KV split and unified) and bench/prompt_read_probe.py on the Q4_K_M
#                                   # model: llama.cpp's own batched ceiling and the shapes of a slot's prompt read
#   bash bench/gpu_run.sh savebuild # the CUDA build (libraries + tools) as $OUT/cudabuild.tar.xz.NN parts (<=15 MiB
#                                   # each, skipped past 45 MiB): carried back in .gpu/, build-cuda.sh unpacks it
#                                   # instead of compiling (saves ~280 s of a cold call)
#                                   # (~45 MB: with it, leave llama-dist-vulkan.tar.xz out of .gpu, or the carry passes 64 MiB)
# Results land in $OUT: RESULTS-gpu.md (the section), gpu.json (raw figures, saved after every step, so a
# run cut short still brings back what it measured), bench.log, profile-summary.txt + prof.tgz
# (bench/profile_engine.py; needs the py-spy wheel in .gpu/whl). BENCH_ARGS adds arguments to the bench.
# BUDGET_S (default 585) stops the benchmark in time for the device tool's per-call limit.
#   bash bench/gpu_run.sh api       # bench/api_bench.py on the realistic Q4_K_M model: time to first token the API adds
# Several phases in one call: bash bench/gpu_run.sh "attach restart api" (each after the one before, one budget).
# VD_COMMIT=<short hash> names the commit in the section: the device's copy of .git can be stale.
set -o pipefail
PHASES=" ${1:-bench} "
has() { for p in "$@"; do [[ "$PHASES" == *" $p "* ]] && return 0; done; return 1; }
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
if has batch; then
  LEFT=$(( BUDGET_S - ($(date +%s) - T_START) ))
  # shellcheck disable=SC2086
  timeout "$LEFT" python3 bench/batch_bench.py --shape bench --images 64 --tokens 64 128 256 --parallel 1 2 4 8 --ahead-ab \
    --budget-s $(( LEFT - 30 )) --out "$OUT/RESULTS-batch-gpu.md" $BATCH_ARGS > "$OUT/batch.log" 2>&1
  echo "batch exit $? after $(( $(date +%s) - T_START )) s"
  grep '^\[batch' "$OUT/batch.log"; cat "$OUT/RESULTS-batch-gpu.md" 2>/dev/null || tail -20 "$OUT/batch.log"
fi
if has probe; then   # issue 22: llama.cpp's own batched throughput and the pieces of a slot's prompt read
  B=/tmp/lcpp/vendor/llama.cpp/build
  [ -x $B/bin/llama-batched-bench ] || timeout 120 cmake --build $B -j 16 --target llama-batched-bench llama-completion > /tmp/bb.log 2>&1 \
    || tail -5 /tmp/bb.log
  Q4=$(ls bench/.cache/models/llama1b-chatml-*-Q4_K_M.gguf | head -1)
  for KVU in -no-kvu -kvu; do
    echo "llama-batched-bench $KVU:"
    timeout 120 llama-batched-bench -m "$Q4" -ngl 99 -fa on -c 8192 -b 2048 -ub 512 -npp 650 -ntg 64,128 \
      -npl 1,2,4,8,1 $KVU 2>/dev/null | grep '^|'
  done
  echo "batched-bench done after $(( $(date +%s) - T_START )) s"
  timeout 150 python3 bench/prompt_read_probe.py "$Q4" --json "$OUT/probe.json" 2>/dev/null | grep -v '^\[probe'
  echo "probe done after $(( $(date +%s) - T_START )) s"
fi
if has savebuild; then
  B=/tmp/lcpp/vendor/llama.cpp/build
  ( cd $B && tar cf - bin/llama-bench bin/llama-mtmd-cli bin/llama-quantize $(ls bin/llama-batched-bench \
      bin/llama-completion 2>/dev/null) $(find . -name '*.so*' | sed 's|^\./||') ) | xz -T16 -6 > /tmp/cudabuild.tar.xz
  SZ=$(stat -c %s /tmp/cudabuild.tar.xz); echo "cudabuild.tar.xz: $SZ bytes after $(( $(date +%s) - T_START )) s"
  if [ "$SZ" -le $(( 45 * 1024 * 1024 )) ]; then split -b 15M -d /tmp/cudabuild.tar.xz "$OUT/cudabuild.tar.xz."; fi
fi
if has bench all; then
  LEFT=$(( BUDGET_S - ($(date +%s) - T_START) ))
  # shellcheck disable=SC2086
  timeout "$LEFT" python3 bench/run_engine_bench.py --no-gemma --out "$OUT/RESULTS-gpu.md" --json "$OUT/gpu.json" \
    $BENCH_ARGS > "$OUT/bench.log" 2>&1
  echo "bench exit $? after $(( $(date +%s) - T_START )) s"
  grep '^\[bench' "$OUT/bench.log"
fi
if has bench profile; then   # py-spy wheel in .gpu/whl (optional)
  timeout 240 python3 bench/profile_engine.py /tmp/prof --py-spy /tmp/site/bin/py-spy > "$OUT/profile.log" 2>&1
  cp /tmp/prof/profile-summary.txt "$OUT/" 2>/dev/null; tar czf "$OUT/prof.tgz" -C /tmp/prof . 2>/dev/null
fi
if has depth decode; then   # issue 24: decode at depth ($DEPTH_ROUNDS, default 3), the A/B against .gpu/old, loading
  timeout 330 python3 bench/depth_bench.py --gpu --no-parts --rounds "${DEPTH_ROUNDS:-3}" --json "$OUT/depth.json" \
    --md "$OUT/depth.md" > "$OUT/depth.log" 2>&1
  echo "depth exit $? after $(( $(date +%s) - T_START )) s"; cat "$OUT/depth.md" 2>/dev/null || tail -20 "$OUT/depth.log"
  OLD=.gpu/old
  if [ ! -d $OLD/engine ]; then
    OLD=/tmp/old; mkdir -p $OLD
    git archive "${AB_OLD:-db2bf1b}" packaging/visiondesk engine models core batch api cli | tar x -C $OLD
  fi
  M=$(python3 -c "import sys; sys.path.insert(0, 'bench'); import bench_models as b; print(b._q4_path('llama1b-chatml'))")
  timeout 240 python3 bench/decode_ab.py "$M" --old $OLD --rounds "${AB_ROUNDS:-3}" --depth 2048 --tokens 256 \
    --json "$OUT/ab.json" 2>&1 | tail -5
  echo "A/B done after $(( $(date +%s) - T_START )) s"
fi
if has depth; then
  # the text-only CLI load_bench compares with (build-cuda.sh builds the three others; this one reuses their objects)
  timeout 60 cmake --build /tmp/lcpp/vendor/llama.cpp/build -j 16 --target llama-completion > /tmp/completion.log 2>&1
  timeout 150 python3 bench/load_bench.py --gpu --reps 3 --json "$OUT/load.json" --md "$OUT/load.md" > "$OUT/load.log" 2>&1
  echo "load exit $? after $(( $(date +%s) - T_START )) s"; cat "$OUT/load.md" 2>/dev/null || tail -20 "$OUT/load.log"
fi
if has parts; then   # issue 24: where the decode gap at depth lies (conversation, text only, bare loop)
  timeout $(( BUDGET_S - ($(date +%s) - T_START) )) python3 bench/depth_bench.py --gpu --parts \
    --rounds "${PARTS_ROUNDS:-4}" --json "$OUT/depth-parts.json" --md "$OUT/depth-parts.md" > "$OUT/depth-parts.log" 2>&1
  echo "parts exit $? after $(( $(date +%s) - T_START )) s"
  cat "$OUT/depth-parts.md" 2>/dev/null || tail -20 "$OUT/depth-parts.log"
fi
if has native; then   # issue 24: is the last gap the Python loop's? (a C loop over the same context)
  L=/tmp/lcpp/vendor/llama.cpp
  cc -O2 -shared -fPIC bench/native_loop.c -I$L/include -I$L/ggml/include -L/tmp/lib -lllama -Wl,-rpath,/tmp/lib \
    -o /tmp/libvdloop.so || exit 1
  timeout $(( BUDGET_S - ($(date +%s) - T_START) )) python3 bench/native_decode_probe.py --gpu --lib /tmp/libvdloop.so \
    --rounds "${NATIVE_ROUNDS:-3}" --json "$OUT/native.json" --md "$OUT/native.md" > "$OUT/native.log" 2>&1
  echo "native exit $? after $(( $(date +%s) - T_START )) s"
  grep '^\[native' "$OUT/native.log"; cat "$OUT/native.md" 2>/dev/null || tail -20 "$OUT/native.log"
fi
if has restart; then   # issue 24: follow-up after an app restart (RESTART_ARGS adds arguments)
  # shellcheck disable=SC2086
  timeout $(( BUDGET_S - ($(date +%s) - T_START) )) python3 bench/restart_followup.py --gpu --out "$OUT/restart.md" \
    --json "$OUT/restart.json" $RESTART_ARGS 2>&1 | tee "$OUT/restart.log" | tail -12
fi
if has attach; then   # issue 24: the image attached earlier vs encoded on Send (ATTACH_ARGS adds arguments)
  # shellcheck disable=SC2086
  timeout $(( BUDGET_S - ($(date +%s) - T_START) )) python3 bench/attach_ttft.py --gpu --json "$OUT/attach.json" \
    $ATTACH_ARGS > "$OUT/attach.md" 2> "$OUT/attach.log"
  echo "attach exit $? after $(( $(date +%s) - T_START )) s"; cat "$OUT/attach.md"; tail -5 "$OUT/attach.log"
fi
if has api; then   # issue 21: the API server's added time to first token, on the GPU (API_ARGS adds arguments)
  Q4=$(ls bench/.cache/models/llama1b-chatml-*-Q4_K_M.gguf | head -1)
  # shellcheck disable=SC2086
  timeout $(( BUDGET_S - ($(date +%s) - T_START) )) python3 bench/api_bench.py --model "$Q4" --reps 7 --tokens 128 \
    --json "$OUT/api.json" $API_ARGS > "$OUT/api.md" 2> "$OUT/api.log"
  echo "api exit $? after $(( $(date +%s) - T_START )) s"; cat "$OUT/api.md"; tail -5 "$OUT/api.log"
fi
