#!/usr/bin/env bash
# FedSim's GPU smoke suite: the compute equivalence tests on the GPU, every shipped example in a reduced form, a
# determinism check and the agreement of the two aggregation routes, in a few minutes. For a GPU machine that has a
# CUDA PyTorch but neither .NET nor network (bench/README.md, "Route without .NET or network on the GPU machine"):
#
#   here   (with the .NET SDK):  bench/gpu-smoke.sh pack [--with-cpu-libtorch]
#   there  (repository root):    bench/gpu-smoke.sh run [--device cuda|cpu] [options]
#
# `pack` builds the tests in Release and fills gpu-pack/: app/ (the test binaries, which hold the fedsim CLI and its
# dependencies, without the CPU libtorch unless --with-cpu-libtorch), vstest/ (the SDK's test runner, so no SDK is
# needed there) and dotnet.tar.xz (the .NET runtime). `run` unpacks the runtime, puts PyTorch's libtorch on the loader
# path for --device cuda, and runs the stages below; --device cpu runs the same stages on the CPU libtorch of a pack
# made with --with-cpu-libtorch (to try the suite itself). Each stage's output is in OUT/<stage>.log; the summary
# table is OUT/summary.txt; the exit status is 0 only when every stage passed.
#
#   tests        the cohort / alone / reference equivalence tests, the per-example gradient tests, the pooled sums and
#                the precision modes, with FEDSIM_TEST_DEVICE=DEVICE; a skipped test fails the stage
#   examples     every example of src/Scenarios/examples/README.md's table with --set training.rounds=ROUNDS and
#                compute.device=DEVICE (`fedsim attack` for the *-attack* files); each must exit 0 with a metrics.csv
#   determinism  quickstart.yaml twice with the same seed: metrics.csv bit for bit on the CPU; on CUDA every value
#                within the tolerance README.md states (relative 1e-4, accuracy 0.2 points)
#   sums         mnist-iid-fedavg.yaml with compute.sum_updates on and off: the same numbers within that tolerance
#   measure      (only with --measure) femnist-cnn.yaml at fp32, tf32 and bf16 for MEASURE_ROUNDS rounds: final accuracy
#                and wall time per mode, and `fedsim bench` with the PyTorch baseline (loop and vmap)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PACK=${FEDSIM_GPU_PACK:-$ROOT/gpu-pack}

usage() { sed -n '2,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

pack() {
  local with_cpu=0
  while [ $# -gt 0 ]; do
    case $1 in
      --with-cpu-libtorch) with_cpu=1 ;;
      *) echo "gpu-smoke.sh pack: unknown option $1" >&2; usage ;;
    esac
    shift
  done
  command -v dotnet >/dev/null || { echo "gpu-smoke.sh pack: needs the .NET SDK (dotnet) on this machine" >&2; exit 2; }
  local dotnet_dir sdk
  dotnet_dir=$(dirname "$(readlink -f "$(command -v dotnet)")")
  sdk=$(dotnet --version)
  echo "building tests/FedSim.Tests in Release (holds the fedsim CLI too)"
  dotnet build "$ROOT/tests/FedSim.Tests" -c Release 2>&1 | tail -3
  rm -rf "$PACK/app" "$PACK/vstest" "$PACK/runtime"
  mkdir -p "$PACK"
  cp -r "$ROOT/tests/FedSim.Tests/bin/Release/net10.0" "$PACK/app"
  # Other platforms' natives; then the CPU libtorch (PyTorch's CUDA libtorch replaces it there), keeping TorchSharp's shim.
  find "$PACK/app/runtimes" -mindepth 1 -maxdepth 1 ! -name linux-x64 -exec rm -rf {} +
  if [ $with_cpu = 0 ]; then
    find "$PACK/app/runtimes/linux-x64/native" \( -name 'libtorch*' -o -name 'libc10*' -o -name 'libgomp*' -o -name 'libshm*' \
      -o -name 'lib*backend*' -o -name 'libaoti*' -o -name 'libnnapi*' \) -delete
  fi
  rm -f "$PACK"/app/*.pdb "$PACK"/app/Microsoft.CodeAnalysis*.dll \
        "$PACK/app/runtimes/linux-x64/native/libSkiaSharp.so" "$PACK/app/runtimes/linux-x64/native/libHarfBuzzSharp.so"
  # The SDK's test runner alone (about 4 MB): vstest.console, the assemblies its deps.json lists, its extensions.
  mkdir -p "$PACK/vstest"
  local from="$dotnet_dir/sdk/$sdk"
  cp "$from"/vstest.console.{dll,deps.json,runtimeconfig.json,dll.config} "$from"/testhost*.json "$PACK/vstest/"
  python3 - "$from" "$PACK/vstest" <<'PY'
import json, os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
deps = json.load(open(os.path.join(src, "vstest.console.deps.json")))
for target in deps["targets"].values():
    for info in target.values():
        for asset in info.get("runtime", {}):
            name = os.path.basename(asset)
            if os.path.exists(os.path.join(src, name)):
                shutil.copy2(os.path.join(src, name), os.path.join(dst, name))
PY
  mkdir -p "$PACK/vstest/Extensions"
  find "$from/Extensions" -maxdepth 1 -name '*.dll' -exec cp {} "$PACK/vstest/Extensions/" \;
  tar cJf "$PACK/dotnet.tar.xz" -C "$dotnet_dir" dotnet host shared/Microsoft.NETCore.App shared/Microsoft.AspNetCore.App
  du -sh "$PACK/app" "$PACK/vstest" "$PACK/dotnet.tar.xz"
  echo "packed into $PACK; there, from a copy of the repository root with gpu-pack/ in it: bench/gpu-smoke.sh run --device cuda"
}

# ---- run ------------------------------------------------------------------------------------------------------------

DEVICE=cuda
ROUNDS=2
OUT=$ROOT/gpu-smoke-results
ONLY=""
STAGES="tests,examples,determinism,sums"
MEASURE=0
MEASURE_ROUNDS=100
DATASETS=""
FAILED=0

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*"; }

record() { # stage, status, detail
  printf '%-34s %-6s %s\n' "$1" "$2" "$3" | tee -a "$OUT/summary.txt"
  [ "$2" = PASS ] || FAILED=1
}

fedsim() { "$PACK/runtime/dotnet" "$PACK/app/fedsim.dll" "$@"; }

setup_runtime() {
  [ -f "$PACK/app/fedsim.dll" ] || { echo "gpu-smoke.sh: no $PACK/app/fedsim.dll; run 'bench/gpu-smoke.sh pack' on a machine with the .NET SDK first" >&2; exit 2; }
  if [ ! -x "$PACK/runtime/dotnet" ]; then
    mkdir -p "$PACK/runtime"
    tar xJf "$PACK/dotnet.tar.xz" -C "$PACK/runtime"
  fi
  export DOTNET_ROOT=$PACK/runtime DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  if [ "$DEVICE" = cuda ]; then
    local lib
    lib=$(python3 -c 'import torch, os; assert torch.cuda.is_available(), "torch sees no CUDA device"; print(os.path.join(os.path.dirname(torch.__file__), "lib"))') \
      || { echo "gpu-smoke.sh: --device cuda needs a python3 whose torch sees a CUDA device (its libtorch is the one FedSim loads)" >&2; exit 2; }
    export LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}"
    log "libtorch: $lib (torch $(python3 -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda)'))"
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/gpu: /' || true
  elif ! ls "$PACK/app/runtimes/linux-x64/native/" | grep -q '^libtorch_cpu'; then
    echo "gpu-smoke.sh: --device cpu needs the CPU libtorch in the pack: bench/gpu-smoke.sh pack --with-cpu-libtorch" >&2
    exit 2
  fi
}

find_datasets() {
  local d
  for d in "$DATASETS" "${FEDSIM_SHARED_DATASETS:-}" "$ROOT/../shared/datasets" "$ROOT/shared/datasets"; do
    if [ -n "$d" ] && [ -d "$d" ]; then (cd "$d" && pwd); return; fi
  done
}

# The example files of the README's table, in its order.
examples() {
  grep -o '^| `[^`]*\.yaml`' "$ROOT/src/Scenarios/examples/README.md" | sed 's/^| `//; s/`$//'
}

# --set dataset.path=... pointing the example's ../../../../shared/datasets/X at the datasets folder found here.
dataset_override() {
  local file=$1 datasets=$2 path
  path=$(grep -E '^  path: \.\./\.\./\.\./\.\./shared/datasets/' "$file" | head -1 | sed -E 's#^  path: \.\./\.\./\.\./\.\./shared/datasets/([^ ]*).*#\1#') || true
  if [ -n "$path" ] && [ -n "$datasets" ]; then echo "--set dataset.path=$datasets/$path"; fi
}

stage_tests() {
  local filter="FullyQualifiedName~FedSim.Tests.Compute.BatchedTrainerTests|FullyQualifiedName~FedSim.Tests.Compute.CohortDeterminismTests"
  filter+="|FullyQualifiedName~FedSim.Tests.Compute.PerExampleGradientTests|FullyQualifiedName~FedSim.Tests.Compute.PlanModifierTests"
  filter+="|FullyQualifiedName~FedSim.Tests.Compute.ModelEvaluatorTests|FullyQualifiedName~FedSim.Tests.Compute.GlobalModelsOnDeviceTests"
  filter+="|FullyQualifiedName~FedSim.Tests.Compute.PooledSumTests|FullyQualifiedName~FedSim.Tests.Compute.PrecisionTests"
  log "tests on $DEVICE"
  local status=0
  FEDSIM_TEST_DEVICE=$DEVICE FEDSIM_SHARED_DATASETS=$(find_datasets) "$PACK/runtime/dotnet" "$PACK/vstest/vstest.console.dll" "$PACK/app/FedSim.Tests.dll" \
    "--TestCaseFilter:$filter" "--logger:console;verbosity=normal" >"$OUT/tests.log" 2>&1 || status=$?
  local line total skipped
  line=$(grep -E '(Passed|Failed)! +- ' "$OUT/tests.log" | tail -1 || true)
  total=$(sed -nE 's/.*Total: *([0-9]+).*/\1/p' <<<"$line")
  skipped=$(sed -nE 's/.*Skipped: *([0-9]+).*/\1/p' <<<"$line")
  if [ $status = 0 ] && [ "${total:-0}" -gt 0 ] && [ "${skipped:-1}" = 0 ]; then
    record "tests ($DEVICE)" PASS "$line"
  else
    record "tests ($DEVICE)" FAIL "${line:-no summary line} (exit $status; a skipped test counts as a failure; see tests.log)"
  fi
}

# run_example NAME OUTDIR [extra args...]: one reduced run; prints "seconds accuracy".
run_example() {
  local name=$1 dir=$2
  shift 2
  local file="$ROOT/src/Scenarios/examples/$name" command=run
  case $name in *-attack*) command=attack ;; esac
  local start
  start=$(date +%s.%N)
  # shellcheck disable=SC2046
  fedsim "$command" "$file" --output "$dir" --overwrite --quiet --set "training.rounds=$ROUNDS" --set "compute.device=$DEVICE" \
    $(dataset_override "$file" "$(find_datasets)") "$@" >"$dir.log" 2>&1 || return 1
  [ -f "$dir/metrics.csv" ] || return 1
  python3 - "$dir/metrics.csv" "$start" "$(date +%s.%N)" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
acc = next((r["test_accuracy"] for r in reversed(rows) if r.get("test_accuracy")), "n/a")
print(f"{float(sys.argv[3]) - float(sys.argv[2]):.1f} s, {len(rows)} rounds, final test accuracy {acc}")
PY
}

stage_examples() {
  mkdir -p "$OUT/examples"
  local name detail
  for name in $(examples); do
    if [ -n "$ONLY" ] && ! grep -qw -- "${name%.yaml}" <<<"${ONLY//,/ }"; then continue; fi
    log "example $name"
    if detail=$(run_example "$name" "$OUT/examples/${name%.yaml}"); then
      record "example ${name%.yaml}" PASS "$detail"
    else
      record "example ${name%.yaml}" FAIL "$(tail -2 "$OUT/examples/${name%.yaml}.log" | tr '\n' ' ')"
    fi
  done
}

# compare_metrics A B: every metrics.csv column but wall time, bit for bit (cpu) or within the stated tolerance (cuda).
compare_metrics() {
  python3 - "$1/metrics.csv" "$2/metrics.csv" "$3" <<'PY'
import csv, math, sys
a, b = (list(csv.DictReader(open(p))) for p in sys.argv[1:3])
exact = sys.argv[3] == "exact"
worst = []
if len(a) != len(b):
    print(f"{len(a)} rounds against {len(b)}"); sys.exit(1)
for ra, rb in zip(a, b):
    for key, va in ra.items():
        vb = rb.get(key)
        if key == "wall_seconds" or va == vb:
            continue
        if exact:
            worst.append(f"round {ra['round']} {key}: {va} vs {vb}"); continue
        try:
            x, y = float(va), float(vb)
        except ValueError:
            worst.append(f"round {ra['round']} {key}: {va!r} vs {vb!r}"); continue
        if math.isnan(x) and math.isnan(y):
            continue
        ok = abs(x - y) <= 0.002 if "accuracy" in key else abs(x - y) <= 1e-4 * max(abs(x), abs(y), 1e-12)
        if not ok:
            worst.append(f"round {ra['round']} {key}: {va} vs {vb}")
print("; ".join(worst[:5]) if worst else ("bit for bit" if exact else "within relative 1e-4, accuracy 0.2 points"))
sys.exit(1 if worst else 0)
PY
}

stage_determinism() {
  local rule=exact
  [ "$DEVICE" = cuda ] && rule=tolerance
  log "determinism: quickstart.yaml twice"
  local detail
  if ROUNDS=3 run_example quickstart.yaml "$OUT/determinism-1" >/dev/null \
     && ROUNDS=3 run_example quickstart.yaml "$OUT/determinism-2" >/dev/null \
     && detail=$(compare_metrics "$OUT/determinism-1" "$OUT/determinism-2" $rule); then
    record "determinism (quickstart, 3 rounds)" PASS "$detail"
  else
    record "determinism (quickstart, 3 rounds)" FAIL "${detail:-a run failed: see determinism-*.log}"
  fi
}

stage_sums() {
  log "pooled sums: mnist-iid-fedavg.yaml with compute.sum_updates on and off"
  local detail
  if ROUNDS=3 run_example mnist-iid-fedavg.yaml "$OUT/sums-on" --set compute.sum_updates=on >/dev/null \
     && ROUNDS=3 run_example mnist-iid-fedavg.yaml "$OUT/sums-off" --set compute.sum_updates=off >/dev/null \
     && detail=$(compare_metrics "$OUT/sums-on" "$OUT/sums-off" tolerance); then
    record "sums on vs off (mnist-iid, 3 rounds)" PASS "$detail"
  else
    record "sums on vs off (mnist-iid, 3 rounds)" FAIL "${detail:-a run failed: see sums-*.log}"
  fi
}

stage_measure() {
  local precision detail
  for precision in fp32 tf32 bf16; do
    [ "$DEVICE" = cpu ] && [ $precision = tf32 ] && continue
    log "measure: femnist-cnn.yaml, $MEASURE_ROUNDS rounds, compute.precision=$precision"
    if detail=$(ROUNDS=$MEASURE_ROUNDS run_example femnist-cnn.yaml "$OUT/measure-femnist-$precision" --set "compute.precision=$precision"); then
      record "measure femnist-cnn $precision" PASS "$detail"
    else
      record "measure femnist-cnn $precision" FAIL "see measure-femnist-$precision.log"
    fi
  done
  log "measure: fedsim bench with the PyTorch baseline"
  if fedsim bench --device "$DEVICE" --json --output "$OUT/bench.json" >"$OUT/bench.log" 2>&1; then
    record "measure bench" PASS "$OUT/bench.json"
  else
    record "measure bench" FAIL "see bench.log"
  fi
}

run() {
  while [ $# -gt 0 ]; do
    case $1 in
      --device) DEVICE=$2; shift ;;
      --rounds) ROUNDS=$2; shift ;;
      --out) OUT=$2; shift ;;
      --only) ONLY=$2; shift ;;
      --stages) STAGES=$2; shift ;;
      --datasets) DATASETS=$2; shift ;;
      --measure) MEASURE=1 ;;
      --measure-rounds) MEASURE_ROUNDS=$2; shift ;;
      -h|--help) usage 0 ;;
      *) echo "gpu-smoke.sh run: unknown option $1" >&2; usage ;;
    esac
    shift
  done
  case $DEVICE in cuda|cpu) ;; *) echo "gpu-smoke.sh run: --device is cuda or cpu, not '$DEVICE'" >&2; exit 2 ;; esac
  mkdir -p "$OUT"
  OUT=$(cd "$OUT" && pwd)
  : >"$OUT/summary.txt"
  setup_runtime
  local began stage
  began=$(date +%s)
  for stage in ${STAGES//,/ }; do
    case $stage in
      tests|examples|determinism|sums) "stage_$stage" ;;
      *) echo "gpu-smoke.sh run: unknown stage '$stage' (tests, examples, determinism, sums)" >&2; exit 2 ;;
    esac
  done
  [ $MEASURE = 1 ] && stage_measure
  echo "---- $DEVICE, $(( $(date +%s) - began )) s in all; results in $OUT"
  cat "$OUT/summary.txt"
  exit $FAILED
}

case ${1:-} in
  pack) shift; pack "$@" ;;
  run) shift; run "$@" ;;
  *) usage ;;
esac
