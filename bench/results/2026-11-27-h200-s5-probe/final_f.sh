#!/bin/bash
# session 5, call F: memcheck and synccheck on the review's refactor (the warp-specialized kernels)
set -u
xz -dc .gpu/libsparsed.so.xz > probe/gen/libsparsed.so && export SPARSED_LIB_DIR=probe/gen
timeout 110 compute-sanitizer --tool memcheck bun test --timeout 900000 test/select.gpu.test.ts test/dense.gpu.test.ts test/sparse.gpu.test.ts -t "w12" > $OUT/memcheck.log 2>&1; echo "memcheck rc=$?"; grep -E "ERROR SUMMARY|pass$|fail$" $OUT/memcheck.log
timeout 50 compute-sanitizer --tool synccheck bun test --timeout 900000 test/select.gpu.test.ts -t "w12_s3_bf16.*(deferred|N=160)" > $OUT/synccheck.log 2>&1; grep -E "ERROR SUMMARY|pass$|fail$" $OUT/synccheck.log
