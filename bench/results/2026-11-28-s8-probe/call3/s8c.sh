#!/bin/bash
# session 8, call 3: the w20 selection with each prompt tile's sums over the warp (5 shuffles, a chain of latencies)
# moved under the next tile's product, and the stage's K descriptor formed once a tile (probe/pgN), against the
# library's kernel (probe/pg0), three alternating rounds; select GPU tests of pgN's w20 variants (b = 32, 64, 128;
# hd64 fp16), racecheck / synccheck of their small cases. Then the sparse call at 64k with 8 heads against 32 (a
# smaller K/V footprint: does the sparse kernel's 64k loss against dense follow the footprint?).
set -u
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
for r in 1 2 3; do for P in 0 N; do SPARSED_LIB_DIR=probe/pg$P timeout 40 bun probe/tsel.ts 16384,65536 10 "r$r $P" 2>&1 | grep -E "x$|rror" | sed 's/select_hd128_bm128_bn128_w20_s4_bf16_sm90a/w20/'; done; done | tee $OUT/tsel.log
export SPARSED_LIB_DIR=probe/pgN SPARSED_TEST_SEED=8003
timeout 90 bun test --timeout 900000 test/select.gpu.test.ts -t w20 > $OUT/sel.log 2>&1; echo "select tests rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/sel.log | head -5
for T in racecheck synccheck; do timeout 60 compute-sanitizer --tool $T --print-limit 20 bun test --timeout 900000 test/select.gpu.test.ts -t "w20.*(deferred|N=160)" > $OUT/$T.log 2>&1; echo "$T:"; grep -E "SUMMARY|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/$T.log | tail -3; done
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib
for H in 32 8 32 8; do timeout 60 bun bench/sparse.ts --n 65536 --heads $H --select 0.3,0.1 --iterations 5 --out /tmp/x.json 2>&1 | grep -E " dense |sparse select" | sed -E "s/^/H=$H /; s/ \(density [0-9.]+\)//; s/_s2_bf16_sm90a//"; done | tee $OUT/heads.log
