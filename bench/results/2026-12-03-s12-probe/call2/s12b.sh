#!/bin/bash
# session 12 call 2: E = TMA-store epilogue (stmatrix) + the tile's metadata from the producer (probe/libE: e.patch,
# four hd128 warp-specialized variants), against the library (M)
set -u
source .gpu/setup.sh && export OUT
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee $OUT/gpu.txt
export SPARSED_TEST_SEED=11502
for r in 1 2 3; do for L in M E; do D=.gpu/lib; [ $L = E ] && D=probe/libE; SPARSED_LIB_DIR=$D timeout 60 bun probe/tsp.ts 65536 0.3,0.1 10 "$L$r" 2>&1 | tee -a $OUT/tsp.log; done; done
export SPARSED_LIB_DIR=probe/libE
timeout 150 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts > $OUT/test.log 2>&1; echo "E dense+sparse suites rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$|^Ran" $OUT/test.log | head -6
RF="_w12_s2_.*(N=77 GQA 28/4 batch 2|Nq=Nk=77 4/1 keep everything|N=160 GQA 4/2 batch 2|deferred generation part)"
for TOOL in racecheck memcheck; do timeout 100 compute-sanitizer --tool $TOOL --print-limit 20 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts -t "$RF" > $OUT/$TOOL.log 2>&1; echo "$TOOL rc=$?"; grep -E "RACECHECK SUMMARY|ERROR SUMMARY|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/$TOOL.log | tail -4; done
export SPARSED_LIB_DIR=.gpu/lib
timeout 150 python3 bench/peers_sparse.py --impls flex-sparse --shapes 1x32x65536x128 --reps 30 --out $OUT/flex.json > $OUT/flex.log 2>&1; echo "flex rc=$?"; grep -E "^  flex" $OUT/flex.log
for L in E M; do D=.gpu/lib; [ $L = E ] && D=probe/libE; SPARSED_LIB_DIR=$D timeout 60 bun probe/tsp.ts 65536 0.3,0.1 10 "${L}4" 2>&1 | tee -a $OUT/tsp.log; done
tar -C $OUT -czf $OUT/logs.tgz test.log racecheck.log memcheck.log && rm -f $OUT/test.log $OUT/racecheck.log $OUT/memcheck.log
cat $OUT/tsp.log
