#!/bin/bash
# session 9, call 4: the library of commit 0967df8+ (block LSEs): the block-LSE suite over every dense variant that writes
# them, the dense and sparse suites, racecheck / synccheck of block-LSE cases, the demo's schedule on the GPU.
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
SPARSED_TEST_SEED=9201 timeout 150 bun test --timeout 900000 test/block-lse.gpu.test.ts > $OUT/blse.log 2>&1; echo "block-lse tests rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/blse.log | head -8
for T in racecheck synccheck; do SPARSED_TEST_SEED=9203 timeout 80 compute-sanitizer --tool $T --print-limit 10 bun test --timeout 900000 test/block-lse.gpu.test.ts -t "hd128 bf16 b=(64|128) (N=160|Nq=100)" > $OUT/$T.log 2>&1; echo "$T rc=$?"; grep -E "SUMMARY|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/$T.log | tail -3; done
timeout 80 bun src/demo.ts > $OUT/demo.log 2>&1; echo "demo rc=$?"; tail -n 12 $OUT/demo.log
SPARSED_TEST_SEED=9204 timeout 60 bun test --timeout 900000 test/select.gpu.test.ts -t w20 > $OUT/select.log 2>&1; echo "select w20 suite rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/select.log | head -4
SPARSED_TEST_SEED=9202 timeout 200 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts > $OUT/suites.log 2>&1; echo "dense+sparse suites rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/suites.log | head -6
tar -C $OUT -czf $OUT/logs.tgz racecheck.log synccheck.log demo.log gpu.txt && rm -f $OUT/racecheck.log $OUT/synccheck.log $OUT/gpu.txt
