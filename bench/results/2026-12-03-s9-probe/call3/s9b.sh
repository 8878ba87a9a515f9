#!/bin/bash
# session 9, call 2: block LSEs written by the dense bn128 kernel and the selection from them: GPU tests, memcheck,
# the dense suite of the library's two dense variants, and the switch step's timing at 16k / 64k against the w20 selection.
set -u
export SPARSED_LIB_DIR=probe/z
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
SPARSED_TEST_SEED=9101 timeout 200 bun test --timeout 900000 test/block-lse.gpu.test.ts > $OUT/blse.log 2>&1; echo "block-lse tests rc=$?"; grep -E "\(fail\)|error:|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/blse.log | head -12
timeout 150 bun probe/tz.ts 16384,65536 10 r1 2>&1 | tee $OUT/tz.log
SPARSED_TEST_SEED=9102 timeout 120 bun test --timeout 900000 test/dense.gpu.test.ts > $OUT/dense.log 2>&1; echo "dense tests rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/dense.log | head -6
SPARSED_TEST_SEED=9103 timeout 150 compute-sanitizer --tool memcheck --print-limit 10 bun test --timeout 900000 test/block-lse.gpu.test.ts -t "b=(32|128) (N=160|Nq=100|Nq=301)" > $OUT/memcheck.log 2>&1; echo "memcheck rc=$?"; grep -E "ERROR SUMMARY|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/memcheck.log | tail -3
cat $OUT/tz.log
