#!/bin/bash
# session 11, call 5: x2 (flat: passes run on across tiles) against the final library; suites and sanitizers of x2.
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so
for R in 1 2; do for L in .gpu/lib probe/flat; do SPARSED_LIB_DIR=$L timeout 60 bun probe/tsp.ts 16384,65536 0.3,0.1 10 "r$R ${L##*/}" 2>&1 | tee -a $OUT/tsp.log; done; done
export SPARSED_TEST_SEED=11601 SPARSED_LIB_DIR=probe/flat
timeout 100 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts > $OUT/test.log 2>&1; echo "flat dense+sparse rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/test.log | head -6
timeout 60 bun test --timeout 900000 test/block-lse.gpu.test.ts > $OUT/blse.log 2>&1; echo "flat block-lse rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/blse.log | head -4
RF="_w12_s2_.*(N=77 GQA 28/4 batch 2|Nq=Nk=77 4/1 keep everything|N=160 GQA 4/2 batch 2|deferred generation part)"
for TOOL in racecheck synccheck memcheck; do timeout 80 compute-sanitizer --tool $TOOL --print-limit 20 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts -t "$RF" > $OUT/$TOOL.log 2>&1; echo "$TOOL rc=$?"; grep -E "RACECHECK SUMMARY|ERROR SUMMARY|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/$TOOL.log | tail -3; done
tar -C $OUT -czf $OUT/logs.tgz test.log blse.log racecheck.log synccheck.log memcheck.log && rm -f $OUT/test.log $OUT/blse.log $OUT/racecheck.log $OUT/synccheck.log $OUT/memcheck.log
