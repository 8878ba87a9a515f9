#!/bin/bash
# session 8, call 11: the w20 selection's consumers taking turns to issue their products (named barriers):
# pp1 within each pair (the pair's two warpgroups read the same tiles and otherwise run in step), pp2 around all four
# consumers (issue order 0, 1, 2, 3 = tiles t, t, t+1, t+1); pf0 the library's kernel. Two alternating rounds;
# select tests of pp1 / pp2 (b = 64, 128); synccheck and racecheck of the small cases.
set -u
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
for r in 1 2; do for P in pf0 pp1 pp2; do SPARSED_LIB_DIR=probe/$P timeout 30 bun probe/tsel.ts 16384,65536 10 "r$r $P" 2>&1 | grep -E "x$|rror" | sed 's/select_hd128_bm128_bn128_w20_s4_bf16_sm90a/w20/'; done; done | tee $OUT/pp.log
for P in pp2 pp1; do SPARSED_LIB_DIR=probe/$P SPARSED_TEST_SEED=8011 timeout 50 bun test --timeout 900000 test/select.gpu.test.ts -t w20 > $OUT/sel-$P.log 2>&1; echo "select tests $P rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/sel-$P.log | head -4; done
for T in synccheck racecheck; do SPARSED_LIB_DIR=probe/pp2 timeout 45 compute-sanitizer --tool $T --print-limit 10 bun test --timeout 900000 test/select.gpu.test.ts -t "w20.*(deferred|N=160)" > $OUT/$T.log 2>&1; echo "$T pp2:"; grep -E "SUMMARY|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/$T.log | tail -3; done
