#!/bin/bash
# session 9, call 6: block LSEs from the bn192 kernel too (a 128-key block carried across two 192-key tiles), full library:
# the block-LSE suite (every dense variant that writes them), memcheck and racecheck of bn192 cases, the dense suite,
# the demo's schedule, tz.ts timings (two rounds).
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
SPARSED_TEST_SEED=9301 timeout 200 bun test --timeout 900000 test/block-lse.gpu.test.ts > $OUT/blse.log 2>&1; echo "block-lse tests rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/blse.log | head -8
for T in memcheck racecheck; do SPARSED_TEST_SEED=9302 timeout 80 compute-sanitizer --tool $T --print-limit 10 bun test --timeout 900000 test/block-lse.gpu.test.ts -t "hd128_bm128_bn192_w12_s2_bf16.*(N=160|Nq=20|Nq=301)" > $OUT/$T.log 2>&1; echo "$T rc=$?"; grep -E "SUMMARY|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/$T.log | tail -3; done
SPARSED_TEST_SEED=9303 timeout 120 bun test --timeout 900000 test/dense.gpu.test.ts > $OUT/dense.log 2>&1; echo "dense tests rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/dense.log | head -4
timeout 100 bun probe/tz.ts 16384,65536 10 r1 2>&1 | tee $OUT/tz.log
timeout 100 bun probe/tz.ts 16384,65536 10 r2 2>&1 | tee -a $OUT/tz.log
tar -C $OUT -czf $OUT/logs.tgz memcheck.log racecheck.log gpu.txt dense.log && rm -f $OUT/memcheck.log $OUT/racecheck.log $OUT/gpu.txt $OUT/dense.log
