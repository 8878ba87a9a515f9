#!/usr/bin/env bash
# One GPU-machine call that does the whole sweep: GPU tests, compute-sanitizer, our benchmark, the
# peers and the ceilings, the chart, and a comparison table printed last. Run on the device machine:
#   source .gpu/setup.sh && bash bench/gpu-sweep.sh            (writes logs and JSON under $OUT)
# Steps can be chosen: SWEEP="tests memcheck racecheck bench peers sparse" (default these), "synccheck" (the
# racecheck cases under synccheck), or "sweep": the
# configuration sweep (every variant checked, then timed over a grid; the peers on the same shapes in the same
# JSON; the tuning table into $OUT/tuning/; then the report). racecheck is slow (about 10x
# memcheck), so it runs the GPU tests matching RACE_FILTER only (default: small cases of each dense, sparse and
# select variant, one of them with more tiles than SMs, so persistent CTAs reuse their stages, and the rising-keys
# cases, whose held-max softmax falls back to scores a warp recomputes from K's stage).
# The library may travel packed (bench/pack-library.sh: carry ".gpu" alone): unpacked here when no
# generated/libsparsed.so came along.
set -uo pipefail
if [[ ! -f generated/libsparsed.so && -f .gpu/lib/libsparsed.so.xz && -z "${SPARSED_LIB_DIR:-}" ]]; then
  xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib
fi
OUT=${OUT:-bench/results/tmp}
mkdir -p "$OUT"
SWEEP=${SWEEP:-"tests memcheck racecheck bench peers sparse"}
SHAPES=${SHAPES:-1x32x4096x64,1x32x16384x64,1x32x65536x64,1x32x4096x128,1x32x16384x128,1x32x65536x128}
NS=${NS:-4096,16384,65536}
RACE_FILTER=${RACE_FILTER:-"N=77 GQA 28/4 batch 2|several tiles a CTA|rising keys|Nq=Nk=77 4/1 keep everything|N=160 GQA 4/2 batch 2|deferred generation part"}
BENCH_ARGS=${BENCH_ARGS:-}
SWEEP_ARGS=${SWEEP_ARGS:-}
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu,power.draw --format=csv | tee "$OUT/gpu.txt"
has() { [[ " $SWEEP " == *" $1 "* ]]; }
if has tests; then
  # The GPU suites and the native library's; the CPU suites (codegen, nvcc builds, ...) run in CI.
  echo "== bun test: GPU suites"
  bun test --timeout 900000 test/*.gpu.test.ts test/native.test.ts 2>&1 | tee "$OUT/test.log" | grep -E "GPU tests|\(fail\)|pass$|fail$|skip$|^Ran|error" | tail -40
fi
if has memcheck; then
  echo "== compute-sanitizer memcheck on the GPU tests"
  compute-sanitizer --tool memcheck --print-limit 20 bun test --timeout 900000 test/*.gpu.test.ts >"$OUT/memcheck.log" 2>&1
  grep -E "ERROR SUMMARY|pass$|fail$" "$OUT/memcheck.log" | tail -5
fi
if has racecheck; then
  echo "== compute-sanitizer racecheck on the GPU tests"
  compute-sanitizer --tool racecheck --print-limit 20 bun test --timeout 900000 test/*.gpu.test.ts -t "$RACE_FILTER" >"$OUT/racecheck.log" 2>&1
  grep -E "RACECHECK SUMMARY|ERROR SUMMARY|pass$|fail$" "$OUT/racecheck.log" | tail -5
fi
if has synccheck; then
  echo "== compute-sanitizer synccheck on the GPU tests (the racecheck cases)"
  compute-sanitizer --tool synccheck --print-limit 20 bun test --timeout 900000 test/*.gpu.test.ts -t "$RACE_FILTER" >"$OUT/synccheck.log" 2>&1
  grep -E "ERROR SUMMARY|pass$|fail$" "$OUT/synccheck.log" | tail -5
fi
if has bench; then
  echo "== our dense kernels"
  bun bench/dense.ts --n "$NS" --all-variants $BENCH_ARGS --out "$OUT/sparsed.json" 2>&1 | grep -v "^│\|^┌\|^└\|^├" | tee "$OUT/bench.log" | tail -30
fi
if has peers; then
  echo "== peers: SDPA FlashAttention-2 and cuDNN, ceilings"
  python3 bench/peers.py --shapes "$SHAPES" --ceilings --out "$OUT/peers.json" 2>&1 | tee "$OUT/peers.log" | tail -20
fi
if has sparse; then
  echo "== sparse attention, selection and the schedule: ours, then FlexAttention / PyTorch"
  # SparseD's own patterns (--patterns workload, the default beside random) go to a folder outside $OUT (tens of MB
  # at 64k), from which FlexAttention times the same masks.
  rm -rf bench/results/tmp/patterns
  bun bench/sparse.ts --pattern-dir bench/results/tmp/patterns --out "$OUT/sparsed-sparse.json" 2>&1 | tee "$OUT/sparse.log" | tail -16
  python3 bench/peers_sparse.py --shapes 1x32x16384x128,1x32x65536x128 --schedule --out "$OUT/peers-sparse.json" 2>&1 | tee "$OUT/peers-sparse.log" | tail -14
  if ls bench/results/tmp/patterns/*.json >/dev/null 2>&1; then
    python3 bench/peers_sparse.py --impls flex-sparse --shapes 1x32x16384x128,1x32x65536x128 \
      --pattern "$(ls bench/results/tmp/patterns/*.json | paste -sd,)" --out "$OUT/peers-sparse-workload.json" 2>&1 | tee -a "$OUT/peers-sparse.log" | tail -6
  fi
fi
if [[ -f "$OUT/sparsed.json" && -f "$OUT/peers.json" ]]; then
  bun bench/chart.ts --out "$OUT/dense.svg" "$OUT/sparsed.json" "$OUT/peers.json" >/dev/null
  bun bench/compare.ts "$OUT/sparsed.json" "$OUT/peers.json" | tee "$OUT/compare.md"
fi
if has sweep; then
  echo "== configuration sweep: peers first (same shapes), then every variant checked and timed"
  SWEEP_NS=${SWEEP_NS:-1024,4096,16384,65536}
  SWEEP_SHAPES=$(for d in 64 128; do for n in ${SWEEP_NS//,/ }; do printf "1x32x%sx%s," "$n" "$d"; done; done)
  python3 bench/peers.py --shapes "${SWEEP_SHAPES%,}" --ceilings --out "$OUT/peers.json" 2>&1 | tail -4
  python3 bench/peers_sparse.py --shapes 1x32x4096x128,1x32x16384x128,1x32x65536x128 --select 0.1,0.3,0.5 --out "$OUT/peers-sparse.json" 2>&1 | tail -4
  bun run bench --sweep --n "$SWEEP_NS" --ceiling "$OUT/peers.json" --peers "$OUT/peers.json,$OUT/peers-sparse.json" \
    --tuning-out "$OUT/tuning" --out "$OUT/sweep.json" $SWEEP_ARGS 2>&1 | tee "$OUT/sweep.log" | grep -v "^sweep: \[" | tail -40
  bun run report "$OUT" 2>&1 | tail -5
fi
