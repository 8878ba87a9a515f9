#!/bin/bash
# session 6 review: the shared row-end helpers (write_row_denominators, deferred_block_masses; the pairs'
# denominators joined once a row): select GPU tests of the w20, w12, bm128 and bm256 kernels, racecheck, synccheck
set -u
export SPARSED_LIB_DIR=probe/p4
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee $OUT/gpu.txt
timeout 120 bun test --timeout 900000 test/select.gpu.test.ts > $OUT/select.log 2>&1; grep -E "\(fail\)|pass$|fail$" $OUT/select.log | head
timeout 60 compute-sanitizer --tool racecheck bun test --timeout 900000 test/select.gpu.test.ts -t "(deferred|N=160)" > $OUT/race.log 2>&1; grep -E "RACECHECK SUMMARY|pass$|fail$" $OUT/race.log
timeout 60 compute-sanitizer --tool synccheck bun test --timeout 900000 test/select.gpu.test.ts -t "(deferred|N=160)" > $OUT/sync.log 2>&1; grep -E "ERROR SUMMARY|pass$|fail$" $OUT/sync.log | tail -3
