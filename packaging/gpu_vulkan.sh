#!/bin/bash
# The Vulkan flavour of the distribution build (packaging/llama_dist.py) on the device's GPU, against the CUDA
# build of the same llama.cpp, in ONE device call (~6-8 min of the 10).
#
#   bash packaging/gpu_vulkan.sh pack   # HERE, project root: build/reuse the vulkan flavour, write
#                                       # .gpu/llama-dist-vulkan.tar.xz (lib/ + llama-bench); needs .gpu/ (prepare.sh)
#                                       # and .gl/ (Vulkan loader .debs, see packaging/README.md)
#   bash packaging/gpu_vulkan.sh        # THERE: device run with carry [".gpu", ".gl"]; results in $OUT
#
# The run: unpacks the loader (.gl) and the libraries; checks that the engine's child picks Vulkan on a GPU
# (doctor's lines; no Vulkan GPU ends the run here, clearly); starts the CUDA build (.gpu/build-cuda.sh, ~280 s)
# in the background; writes the benchmark's 1.1B model (bench/bench_models.py, as bench/gpu_run.sh) and quantizes it
# with the Vulkan flavour's llama-quantize; then, on an otherwise idle machine, llama-bench -ngl 99 with the
# Vulkan libraries, llama-bench -ngl 99 of the CUDA build, and the engine (LocalEngine on the Vulkan libraries)
# answering one question with its layers offloaded. Results: $OUT/RESULTS-vulkan.md and $OUT/vulkan.json.
# BUDGET_S (default 570) bounds the run; the CUDA build is waited for until CUDA_WAIT_LEFT (default 200) s are
# left; VK_F16=1 benchmarks the f16 model (no quantizing), VK_NO_CUDA=1 leaves the CUDA half out (both for a short
# device budget). Smoke test without a GPU:
# ALLOW_NO_GPU=1 VK_TINY=1 (tiny generated model, llama-bench on the CPU through the same libraries, no CUDA).
set -o pipefail
MODE=${1:-run}
cd "$(dirname "$0")/.." || exit 1
OUT=${OUT:-/tmp/out}
BUDGET_S=${BUDGET_S:-570}
T0=$(date +%s)
TARBALL=.gpu/llama-dist-vulkan.tar.xz
PY=python3; [ -x .venv/bin/python ] && PY=.venv/bin/python
VK=/tmp/vk
BENCH_ARGS=(-ngl 99 -fa 1 -p 512 -n 128 -r 3 -o json)

if [ "$MODE" = pack ]; then
  LIB=$($PY packaging/llama_dist.py --print-dir) || exit 1
  mkdir -p .gpu
  XZ_OPT='-9 -T2' tar -C "$(dirname "$LIB")" -cJf "$TARBALL" lib bench build.json || exit 1
  ls -l "$TARBALL"
  ls .gl/*.deb >/dev/null 2>&1 || echo "no .gl/*.deb: the device has no Vulkan loader without them (packaging/README.md)"
  du -shc .gpu .gl 2>/dev/null
  exit 0
fi

mkdir -p "$OUT"
RES=$OUT/RESULTS-vulkan.md
JSON=$OUT/vulkan.json
echo '{}' > "$JSON"
say() { echo "[gpu-vulkan $(( $(date +%s) - T0 ))s] $*"; }
left() { local n=$(( BUDGET_S - ($(date +%s) - T0) )); echo $(( n > 10 ? n : 10 )); }
record() {  # record KEY JSON-VALUE: saved after every step, so a run cut short still brings back what it measured
  $PY -c "import json,sys; p=sys.argv[1]; d=json.load(open(p)); d[sys.argv[2]]=json.loads(sys.argv[3]); \
json.dump(d, open(p,'w'), indent=1)" "$JSON" "$1" "$2"
}
die() { say "FAILED: $1"; echo "**FAILED**: $1" >> "$RES"; record failed "\"$1\""; kill "$CUDA_PID" 2>/dev/null; exit "${2:-1}"; }
CUDA_PID=
{ echo "## Vulkan (distribution build) against CUDA on $(hostname)"; echo; } > "$RES"

[ -f "$TARBALL" ] || die "$TARBALL missing: run 'bash packaging/gpu_vulkan.sh pack' on the build machine, carry .gpu"
# The Vulkan loader: the device image has none; unpack the carried .debs (not over a loader already there).
if ! ldconfig -p | grep -q 'libvulkan.so.1'; then
  ls .gl/*.deb >/dev/null 2>&1 || die "no Vulkan loader here and no .gl/*.deb carried"
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
NV_ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -f "$NV_ICD" ]; then
  export VK_DRIVER_FILES=$NV_ICD __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
rm -rf "$VK" && mkdir -p "$VK/tools" && tar -C "$VK" -xJf "$TARBALL" || die "unpacking $TARBALL failed"
# ggml looks for backend modules beside the executable: llama-bench runs from a folder holding both.
cp -l "$VK"/lib/*.so "$VK"/bench/* "$VK/tools/" 2>/dev/null || cp "$VK"/lib/*.so "$VK"/bench/* "$VK/tools/"
MISSING=$(ldd "$VK/lib/libllama.so" "$VK/lib/libggml-vulkan.so" | grep 'not found' | sort -u)
[ -z "$MISSING" ] || die "the libraries need what this system lacks: $(echo "$MISSING" | tr '\n' ' ')"
say "libraries unpacked: $(du -sh "$VK/lib" | cut -f1)"

# Python side: the pure-Python wheels and llama-cpp-python's bindings only (no second llama.cpp).
if [ -d .gpu/whl ] && ! $PY -c 'import gguf, diskcache' 2>/dev/null; then
  # Not /tmp/site: build-cuda.sh installs there too, while this run imports from its own copy.
  $PY -m pip install -q --no-index --no-deps --target /tmp/vksite .gpu/whl/*.whl || die "installing .gpu/whl failed"
  export PYTHONPATH=/tmp/vksite${PYTHONPATH:+:$PYTHONPATH}
fi
if ! $PY -c 'import llama_cpp' 2>/dev/null; then
  mkdir -p /tmp/vkpy && tar xzf .gpu/llama-src.tgz -C /tmp/vkpy ./llama_cpp || die "no llama_cpp bindings in .gpu"
  export PYTHONPATH=/tmp/vkpy${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1

# Does the engine's child pick Vulkan on a GPU? (Doctor's own lines, from the child.)
DOC=$(LLAMA_CPP_LIB_PATH=$VK/lib MTMD_CPP_LIB=$VK/lib timeout 120 $PY packaging/gpu_vulkan_check.py doctor) \
  || die "the engine did not start on the Vulkan libraries (exit $?)"
record doctor "$DOC"
field() { echo "$DOC" | $PY -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
CPU_LINE=$(field 'd["cpu_line"]'); GPU_LINE=$(field 'd["gpu_line"]')
say "$CPU_LINE"; say "$GPU_LINE"
{ echo "- doctor: \`$CPU_LINE\`"; echo "- doctor: \`$GPU_LINE\`"; } >> "$RES"
if [ "$(field 'd["backends"]["gpu_backend"]')" != Vulkan ] && [ -z "$ALLOW_NO_GPU" ]; then
  die "no Vulkan GPU: $GPU_LINE" 3
fi

# The CUDA build, in the background, while the model is written.
if [ -z "$VK_TINY" ] && [ -z "$VK_NO_CUDA" ] && { command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ]; }; then
  ( source .gpu/build-cuda.sh > /tmp/cuda-build.out 2>&1 ) &
  CUDA_PID=$!
else
  say "no CUDA toolkit here: the CUDA half is left out"
fi

# The model: the benchmark's 1.1B decoder (f16 while CUDA builds, then Q4_K_M), or a tiny one for the smoke test.
if [ -n "$VK_TINY" ]; then
  MODEL=$($PY -c "import sys; sys.path.insert(0, 'tests'); import model_factory as m; from pathlib import Path
print(m.write_test_models(Path('/tmp/vk-tiny')).model)") || die "writing the tiny model failed"
else
  F16=$(timeout "$(left)" $PY -c "import sys; sys.path.insert(0, 'bench'); import bench_models as b
print(b.write_f16('llama1b-chatml', **b.TEXT_MODELS['llama1b-chatml']))" | tail -1) || die "writing the model failed"
  MODEL=$F16
fi
say "model written: $MODEL"
if [ -n "$F16" ] && [ -z "$VK_F16" ]; then  # Q4_K_M with the Vulkan flavour's own llama-quantize (CPU), while CUDA still builds
  Q4=${F16%-f16.gguf}-Q4_K_M.gguf
  (cd "$VK/tools" && timeout 150 ./llama-quantize "$F16" "$Q4" Q4_K_M "$(nproc)" > /tmp/quantize.log 2>&1) \
    && MODEL=$Q4 || say "quantizing failed (tail: $(tail -2 /tmp/quantize.log | tr '\n' ' ')); benchmarking the f16 model"
fi
if [ -n "$CUDA_PID" ]; then
  while kill -0 "$CUDA_PID" 2>/dev/null && [ "$(left)" -gt "${CUDA_WAIT_LEFT:-200}" ]; do sleep 5; done
  if kill -0 "$CUDA_PID" 2>/dev/null; then
    say "the CUDA build is still running with $(left) s left: measuring Vulkan without it"; kill "$CUDA_PID"; CUDA_PID=
  fi
fi
S=/tmp/lcpp/vendor/llama.cpp/build/bin
CUDA_LIB=/tmp/lib
if [ -n "$CUDA_PID" ] && [ ! -x $S/llama-bench ]; then
  say "the CUDA build failed: $(tail -5 /tmp/cuda-build.out | tr '\n' ' ')"; CUDA_PID=
fi
say "benchmark model: $(basename "$MODEL") ($(du -h "$MODEL" | cut -f1))"
echo "- model: \`$(basename "$MODEL")\` ($(du -h "$MODEL" | cut -f1)); llama-bench ${BENCH_ARGS[*]}" >> "$RES"

bench() {  # bench NAME DIR-OF-LLAMA-BENCH LIBS
  local out
  out=$(cd "$2" && LD_LIBRARY_PATH=$3 timeout "$(( $(left) > 70 ? $(left) - 60 : 10 ))" ./llama-bench -m "$MODEL" "${BENCH_ARGS[@]}" \
        2> "/tmp/bench-$1.err") || { say "$1 llama-bench failed: $(tail -3 "/tmp/bench-$1.err" | tr '\n' ' ')"; return 1; }
  record "bench_$1" "$out"
  echo "$out" | $PY -c "import json,sys
rows = json.load(sys.stdin)
pp = [r['avg_ts'] for r in rows if r['n_prompt'] and not r['n_gen']]
tg = [r['avg_ts'] for r in rows if r['n_gen'] and not r['n_prompt']]
print(f\"| $1 | {rows[0].get('backends', '')} | {pp[0]:.0f} | {tg[0]:.1f} |\")" >> /tmp/bench-rows.md
}
: > /tmp/bench-rows.md
bench vulkan "$VK/tools" "$VK/tools" || true
[ -n "$CUDA_PID" ] && { bench cuda "$S" "$CUDA_LIB" || true; }
{ echo; echo "| build | backends | prompt tok/s (pp512) | decode tok/s (tg128) |"; echo "|---|---|---|---|"
  cat /tmp/bench-rows.md; echo; } >> "$RES"
cat /tmp/bench-rows.md

ANS=$(LLAMA_CPP_LIB_PATH=$VK/lib MTMD_CPP_LIB=$VK/lib timeout "$(left)" \
      $PY packaging/gpu_vulkan_check.py answer "$MODEL") || die "the engine on the Vulkan libraries did not answer"
record engine_vulkan "$ANS"
echo "$ANS" | $PY -c "import json,sys
a = json.load(sys.stdin)
print(f\"- engine (LocalEngine, Vulkan libraries): {a['backend']}, {a['gpu_layers']} of {a['n_layers'] + 1} layers \"
      f\"offloaded, {a['completion_tokens']} tokens at {a['decode_tok_s']} tok/s decode, prompt {a['prompt_tok_s']} \"
      f\"tok/s, first token {a['ttft_ms']} ms{'; error: ' + a['error'] if a['error'] else ''}\")" | tee -a "$RES"
say "done"
