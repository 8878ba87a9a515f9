#!/bin/bash
# session 8, call 1: the review commit 9c8a48b's library (not yet GPU-run): the dense + sparse GPU suites (every variant),
# the select suite's warp-specialized variants, racecheck / synccheck of the changed kernels' small cases; then ncu:
# the w20 selection at 64k (full set + SASS source, where its stalls sit) and the dense / sparse calls at 64k (L2 / DRAM).
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib SPARSED_TEST_SEED=8001
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
timeout 240 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts > $OUT/ds.log 2>&1; echo "dense+sparse rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/ds.log | head -8
timeout 100 bun test --timeout 900000 test/select.gpu.test.ts -t "w20|w12" > $OUT/sel.log 2>&1; echo "select rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/sel.log | head -8
F="(w12_s2_(bf16|fp16)_sm90a (N=77 GQA 28/4 batch 2|Nq=1000 Nk=77))|(w20.*(deferred|N=160))"
for T in racecheck synccheck; do timeout 50 compute-sanitizer --tool $T --print-limit 20 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts test/select.gpu.test.ts -t "$F" > $OUT/$T.log 2>&1; echo "$T:"; grep -E "SUMMARY|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/$T.log | tail -4; done
export SPARSED_TUNING=off
timeout 120 ncu --set full --import-source no -k regex:select_ws_sm90_kernel --kernel-name-base function -c 1 -o $OUT/sel bun bench/sparse.ts --n 65536 --select 0.3 --iterations 1 --out /tmp/x.json > $OUT/ncu_sel.log 2>&1; echo "ncu sel rc=$?"
ncu --import $OUT/sel.ncu-rep --page details > $OUT/sel.details.txt 2>&1; ncu --import $OUT/sel.ncu-rep --page source --csv --print-source sass > $OUT/sel.source.csv 2>&1
grep -E "Duration|Issue Slots Busy|Executed Ipc A|L2 Hit|DRAM Through|Warp Cycles Per Issued|No Eligible" $OUT/sel.details.txt | head -12
for K in "DenseWsSm90Config<128, 192, bf16_t, false>" "DenseWsSm90Config<128, 128, bf16_t, true>"; do
  timeout 90 ncu --section SpeedOfLight --section MemoryWorkloadAnalysis --section Occupancy -k "regex:$K" --kernel-name-base demangled -c 1 bun bench/sparse.ts --n 65536 --select 0.3 --iterations 1 --out /tmp/x.json > $OUT/ncu_k.log 2>&1
  echo "== $K"; grep -E "Duration|DRAM Throughput|L2 Hit Rate|Memory Throughput|L1/TEX Hit|Mem Busy|Max Bandwidth|Compute \(SM\)" $OUT/ncu_k.log | head -10; cat $OUT/ncu_k.log >> $OUT/ncu_ds.txt
done
cd $OUT && tar czf all.tgz *.log *.txt sel.source.csv && rm -f ncu_k.log sel.source.csv racecheck.log synccheck.log ncu_sel.log
