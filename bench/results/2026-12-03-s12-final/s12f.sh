#!/bin/bash
# session 12, call 4 (and final if K is kept): K = this session's library (keys from shared memory by every lane, no
# shuffle; 98 variants, .gpu/lib). M = the session-11 library's four hd128 warp-specialized variants (probe/libM), KE =
# K + the TMA-store epilogue and the producer's tile metadata (probe/libKE). Timing rounds, sparse suite and
# sanitizers of K, FlexAttention in the same call, then (if time is left) the dense + sparse sweep and the table.
set -u
T0=$SECONDS
source .gpu/setup.sh && export OUT
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee $OUT/gpu.txt
lib() { case $1 in K) echo .gpu/lib;; *) echo probe/lib$1;; esac; }
for r in 1 2; do for L in M K KE; do SPARSED_LIB_DIR=$(lib $L) timeout 60 bun probe/tsp.ts 65536 0.3,0.1 10 "$L-$r" 2>&1 | tee -a $OUT/tsp.log; done; done
export SPARSED_LIB_DIR=.gpu/lib SPARSED_TEST_SEED=12004
timeout 120 bun test --timeout 900000 test/sparse.gpu.test.ts > $OUT/test.log 2>&1; echo "K sparse suite rc=$?"; grep -E "\(fail\)|^ *[0-9]+ (pass|fail)$|^Ran" $OUT/test.log | head -5
RF="_w12_s2_.*(N=77 GQA 28/4 batch 2|Nq=Nk=77 4/1 keep everything|N=160 GQA 4/2 batch 2|deferred generation part)"
for TOOL in racecheck synccheck memcheck; do timeout 60 compute-sanitizer --tool $TOOL --print-limit 20 bun test --timeout 900000 test/sparse.gpu.test.ts -t "$RF" > $OUT/$TOOL.log 2>&1; echo "$TOOL rc=$?"; grep -E "RACECHECK SUMMARY|ERROR SUMMARY|^ *[0-9]+ (pass|fail)$" $OUT/$TOOL.log | tail -3; done
timeout 40 bun probe/tsp.ts 16384,65536 0.3,0.1 10 "f1" 2>&1 | tee -a $OUT/tsp.log
timeout 120 python3 bench/peers_sparse.py --impls flex-sparse --shapes 1x32x16384x128,1x32x65536x128 --reps 30 --out $OUT/flex.json > $OUT/flex.log 2>&1; echo "flex rc=$?"; grep -E "^  flex" $OUT/flex.log
timeout 40 bun probe/tsp.ts 16384,65536 0.3,0.1 10 "f2" 2>&1 | tee -a $OUT/tsp.log
echo "elapsed $((SECONDS - T0)) s"
if [ $((SECONDS - T0)) -lt 330 ]; then
  S=1x32x4096x64,1x32x16384x64,1x32x65536x64,1x32x4096x128,1x32x16384x128,1x32x65536x128
  timeout 60 python3 bench/peers.py --shapes $S --ceilings --out $OUT/peers.json > $OUT/peers.log 2>&1; echo "peers rc=$?"; grep -E "^sdpa|matmul" $OUT/peers.log | tail -13
  timeout 130 bun run bench --sweep --ops dense,sparse --n 4096,16384,65536 --select 0.1,0.3 --iterations 5 --ceiling $OUT/peers.json --peers $OUT/peers.json --out $OUT/sweep.json > $OUT/sweep.log 2>&1; echo "sweep rc=$?"
  timeout 20 bun run tuning $OUT/sweep.json --ops dense_fwd,sparse_fwd > $OUT/tuning.log 2>&1; echo "tuning rc=$?"; cp tuning/nvidia-h200.json $OUT/ 2>/dev/null
fi
cd $OUT && tar czf logs.tgz *.log $(ls peers.json sweep.json sweep.csv 2>/dev/null) && rm -f test.log racecheck.log synccheck.log memcheck.log peers.log sweep.log tuning.log peers.json sweep.csv
cat $OUT/tsp.log; echo "total $((SECONDS - T0)) s"
