#!/bin/bash
# session 5, call E: the review's refactor (load_q_rows, finish_plan_sm90) on the GPU
set -u
xz -dc .gpu/libsparsed.so.xz > probe/gen/libsparsed.so && export SPARSED_LIB_DIR=probe/gen
nvidia-smi --query-gpu=name --format=csv,noheader
timeout 100 bun test --timeout 900000 test/select.gpu.test.ts 2>&1 | tee $OUT/select.log | grep -E "\(fail\)|pass$|fail$" | head
timeout 80 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts -t w12 2>&1 | tee $OUT/ws.log | grep -E "\(fail\)|pass$|fail$" | head
timeout 60 compute-sanitizer --tool racecheck bun test --timeout 900000 test/select.gpu.test.ts -t "w12_s3_bf16.*(deferred|N=160)" > $OUT/race.log 2>&1; grep -E "RACECHECK SUMMARY|pass$|fail$" $OUT/race.log
