#!/bin/bash
# session 11, final call: the library of this session's commit (o1 + q1). Suites of the warp-specialized variants (all
# dense and sparse variants), block-LSE suite, racecheck/synccheck/memcheck on small warp-specialized cases, then
# timings of the four hd128 bf16 warp-specialized variants and FlexAttention in the same call.
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee $OUT/gpu.txt
export SPARSED_TEST_SEED=11501
timeout 200 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts test/native.test.ts > $OUT/test.log 2>&1; echo "dense+sparse+native suites rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$|^Ran" $OUT/test.log | head -6
timeout 90 bun test --timeout 900000 test/block-lse.gpu.test.ts > $OUT/blse.log 2>&1; echo "block-lse rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$|^Ran" $OUT/blse.log | head -4
RF="_w12_s2_.*(N=77 GQA 28/4 batch 2|Nq=Nk=77 4/1 keep everything|N=160 GQA 4/2 batch 2|deferred generation part)"
for TOOL in racecheck synccheck memcheck; do timeout 100 compute-sanitizer --tool $TOOL --print-limit 20 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts -t "$RF" > $OUT/$TOOL.log 2>&1; echo "$TOOL rc=$?"; grep -E "RACECHECK SUMMARY|ERROR SUMMARY|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/$TOOL.log | tail -4; done
timeout 100 bun probe/tsp.ts 16384,65536 0.3,0.1 10 "f1" 2>&1 | tee -a $OUT/tsp.log
timeout 200 python3 bench/peers_sparse.py --impls flex-sparse --shapes 1x32x16384x128,1x32x65536x128 --reps 40 --out $OUT/flex.json > $OUT/flex.log 2>&1; echo "flex rc=$?"; grep -E "^  flex" $OUT/flex.log
timeout 100 bun probe/tsp.ts 16384,65536 0.3,0.1 10 "f2" 2>&1 | tee -a $OUT/tsp.log
tar -C $OUT -czf $OUT/logs.tgz test.log blse.log racecheck.log synccheck.log memcheck.log && rm -f $OUT/test.log $OUT/blse.log $OUT/racecheck.log $OUT/synccheck.log $OUT/memcheck.log
