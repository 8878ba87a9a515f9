#!/bin/bash
# session 8, call 10: L2 eviction hints on the sparse kernel's copies (call 9: at 64k select 0.1 its L2 hit rate is 74%
# against dense's 98.6%, 8.7 GB of DRAM reads for 1 GB of K/V: a head's K/V (32 MB), reused in no order across the
# head's query tiles, is evicted by the Q reads and O writes streaming past). ph1: Q evict_first; ph2: and K/V
# evict_last; pf0: the library's kernel. Two alternating rounds at 64k; sparse tests and racecheck of ph1 / ph2.
set -u
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
export SPARSED_TUNING=off
for r in 1 2; do for P in pf0 ph1 ph2; do SPARSED_LIB_DIR=probe/$P timeout 60 bun bench/sparse.ts --n 65536 --select 0.3,0.1 --iterations 8 --out /tmp/x.json 2>&1 | grep -E " dense |sparse select" | sed -E "s/^/r$r $P /; s/ \(density [0-9.]+\)//; s/_s2_bf16_sm90a//; s/ TFLOP\/s on kept blocks//"; done; done | tee $OUT/ph.log
for P in ph1 ph2; do SPARSED_LIB_DIR=probe/$P SPARSED_TEST_SEED=8010 timeout 60 bun test --timeout 900000 test/sparse.gpu.test.ts -t w12 > $OUT/test-$P.log 2>&1; echo "tests $P rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/test-$P.log | head -4; done
SPARSED_LIB_DIR=probe/ph2 timeout 60 compute-sanitizer --tool racecheck bun test --timeout 900000 test/sparse.gpu.test.ts -t "w12.*(GQA 8/2 batch 2|strided 4/4)" > $OUT/race.log 2>&1; grep -E "SUMMARY|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/race.log | tail -3
