#!/bin/bash
# session 6, call D: w20 with the tile's two 64-key halves in separate wgmma groups (p3) against the single-group w20 (p2)
set -u
echo "== select tests w20 (p3)"
SPARSED_LIB_DIR=probe/p3 timeout 100 bun test --timeout 900000 test/select.gpu.test.ts -t w20 2>&1 | tee $OUT/select.log | grep -E "\(fail\)|pass$|fail$|rror" | head -20
for l in p2 p3 p2 p3; do echo "== bench $l"; SPARSED_LIB_DIR=probe/$l SPARSED_TUNING=off timeout 120 bun bench/sparse.ts --n 16384,65536 --select 0.3 --iterations 10 --out $OUT/b$l.json 2>&1 | tee -a $OUT/b$l.log | grep -E " dense |selection select_hd128_bm128_bn128_w(20_s4|12)"; done
export SPARSED_LIB_DIR=probe/p3
echo "== racecheck"; timeout 60 compute-sanitizer --tool racecheck bun test --timeout 900000 test/select.gpu.test.ts -t "w20.*(deferred|N=160)" > $OUT/race.log 2>&1; grep -E "RACECHECK SUMMARY|pass$|fail$" $OUT/race.log
echo "== synccheck"; timeout 60 compute-sanitizer --tool synccheck bun test --timeout 900000 test/select.gpu.test.ts -t "w20.*(deferred|N=160)" > $OUT/sync.log 2>&1; grep -E "ERROR SUMMARY|pass$|fail$" $OUT/sync.log | tail -3; rm -f $OUT/sync.log
echo "== memcheck"; timeout 100 compute-sanitizer --tool memcheck bun test --timeout 900000 test/select.gpu.test.ts -t w20 > $OUT/mem.log 2>&1; grep -E "ERROR SUMMARY|pass$|fail$" $OUT/mem.log
