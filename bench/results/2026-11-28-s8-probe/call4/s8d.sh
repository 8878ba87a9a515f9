#!/bin/bash
# session 8, call 4: the sparse kernel's producer prefetching the K/V boxes of the key tile PF ahead into L2
# (cp.async.bulk.prefetch.tensor: lines and address translations ready before the copy): probe/pfP, P = 0 (the
# library's kernel), 2, 4; bench/sparse.ts at 16k / 64k, select 0.3 / 0.1, two alternating rounds (H = 32: at
# 64k select 0.1 the kernel ran 90% of dense against 105% with H = 8, call 3); then the sparse GPU tests of pf4.
set -u
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
export SPARSED_TUNING=off
for r in 1 2; do for P in 0 2 4; do SPARSED_LIB_DIR=probe/pf$P timeout 60 bun bench/sparse.ts --n 16384,65536 --select 0.3,0.1 --iterations 10 --out /tmp/x.json 2>&1 | grep -E " dense |sparse select" | sed -E "s/^/r$r P$P /; s/ \(density [0-9.]+\)//; s/_s2_bf16_sm90a//; s/ TFLOP\/s on kept blocks//"; done; done | tee $OUT/pf.log
SPARSED_LIB_DIR=probe/pf4 SPARSED_TEST_SEED=8004 timeout 90 bun test --timeout 900000 test/sparse.gpu.test.ts -t w12 > $OUT/sparse.log 2>&1; echo "sparse tests rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/sparse.log | head -5
