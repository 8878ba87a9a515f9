#!/bin/bash
# session 8, call 5 (H100): sparse-only sweep of the library (9c8a48b's kernels, the same as session 7's final ones):
# the H100 table's sparse entries are from session 7's call 4, before the sparse kernel's keys moved to shared memory
# (p4) and before BN 192 sparse. 8 samples a point (the H100's spread is 4-6%).
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
timeout 300 bun run bench --sweep --ops sparse --n 4096,16384,65536 --select 0.1,0.3 --iterations 8 --out $OUT/sweep-sparse.json > $OUT/sweep-sparse.log 2>&1; echo "sweep rc=$?"
grep -E "FAIL|failed" $OUT/sweep-sparse.log | tail -2; grep -E "sparse D=128 N=(16384|65536) b=128" $OUT/sweep-sparse.log | tail -4
rm -f $OUT/sweep-sparse.csv
