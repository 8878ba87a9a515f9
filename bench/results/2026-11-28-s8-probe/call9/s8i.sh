#!/bin/bash
# session 8, call 9: ncu (full set, SASS source) of the sparse bn192 kernel at 64k select 0.1 (88-93% of dense) and of the
# dense bn192 call at 64k, to see where the sparse kernel's extra time goes.
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib SPARSED_TUNING=off
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
K1='DenseWsSm90Config<\(int\)128, \(int\)192, sparsed::bf16_t, \(bool\)1>'; K0='DenseWsSm90Config<\(int\)128, \(int\)192, sparsed::bf16_t, \(bool\)0>'
timeout 150 ncu --set full --import-source no -k "regex:$K1" --kernel-name-base demangled -c 1 -o $OUT/sp bun bench/sparse.ts --n 65536 --select 0.1 --iterations 1 --out /tmp/x.json > $OUT/ncu_sp.log 2>&1; echo "ncu sparse rc=$?"
timeout 150 ncu --set full --import-source no -k "regex:$K0" --kernel-name-base demangled -c 1 -o $OUT/de bun bench/sparse.ts --n 65536 --select 0.1 --iterations 1 --out /tmp/x.json > $OUT/ncu_de.log 2>&1; echo "ncu dense rc=$?"
for r in sp de; do ncu --import $OUT/$r.ncu-rep --page details > $OUT/$r.details.txt 2>&1; ncu --import $OUT/$r.ncu-rep --page source --csv --print-source sass > $OUT/$r.source.csv 2>&1; grep -E "Duration|Issue Slots Busy|L2 Hit Rate|DRAM Throughput|No Eligible|Warp Cycles Per Issued" $OUT/$r.details.txt | head -8; done
cd $OUT && tar czf all.tgz *.txt *.csv *.log && rm -f *.csv *.ncu-rep ncu_*.log
