#!/bin/bash
# session 6, call B: w20 with the register split fixed: tests, then timing w20 (tuning off: first built) vs w12 (the table)
set -u
export SPARSED_LIB_DIR=probe/p1
echo "== select tests w20"
timeout 120 bun test --timeout 900000 test/select.gpu.test.ts -t w20 2>&1 | tee $OUT/select.log | grep -E "\(fail\)|pass$|fail$|rror" | head -20
echo "== bench w20"; SPARSED_TUNING=off timeout 170 bun bench/sparse.ts --n 16384,65536 --select 0.3 --iterations 5 --out $OUT/w20.json 2>&1 | tee $OUT/w20.log | grep -E " dense |selection"
echo "== bench w12"; timeout 170 bun bench/sparse.ts --n 16384,65536 --select 0.3 --iterations 5 --out $OUT/w12.json 2>&1 | tee $OUT/w12.log | grep -E " dense |selection"
