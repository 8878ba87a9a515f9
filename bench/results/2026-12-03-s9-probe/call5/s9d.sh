#!/bin/bash
# session 9, call 5: timings with the library of call 4: the switch step's selection both ways (probe/tz.ts, two rounds),
# and bench/sparse.ts (sparse, selection with and without block LSEs, the schedule) at 16k / 64k.
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
timeout 100 bun probe/tz.ts 16384,65536 10 r1 2>&1 | tee $OUT/tz.log
timeout 300 bun bench/sparse.ts --n 16384,65536 --select 0.3,0.1 --iterations 10 --out $OUT/sparse.json > $OUT/sparse.log 2>&1; echo "bench/sparse rc=$?"; grep -E "dense|selection|loop" $OUT/sparse.log | head -30
timeout 100 bun probe/tz.ts 16384,65536 10 r2 2>&1 | tee -a $OUT/tz.log
