#!/bin/bash
# session 8, call 8: the persistent attention kernel's producer prefetches the next tile's Q into L2 right after it
# issues this tile's Q (probe/pq1) against the library's kernel (probe/pf0): Q's load waits for the tile's last S, so
# a Q still in DRAM stalls the consumers at every tile start (35 steps a tile at 64k select 0.1 with bn192, 341 dense).
# Three alternating rounds of bench/sparse.ts; the sparse and dense GPU tests of pq1's warp-specialized variants.
set -u
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
export SPARSED_TUNING=off
for r in 1 2 3; do for P in pf0 pq1; do SPARSED_LIB_DIR=probe/$P timeout 60 bun bench/sparse.ts --n 16384,65536 --select 0.3,0.1 --iterations 8 --out /tmp/x.json 2>&1 | grep -E " dense |sparse select" | sed -E "s/^/r$r $P /; s/ \(density [0-9.]+\)//; s/_s2_bf16_sm90a//; s/ TFLOP\/s on kept blocks//"; done; done | tee $OUT/pq.log
SPARSED_LIB_DIR=probe/pq1 SPARSED_TEST_SEED=8008 timeout 100 bun test --timeout 900000 test/sparse.gpu.test.ts test/dense.gpu.test.ts -t w12 > $OUT/test.log 2>&1; echo "tests rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/test.log | head -5
