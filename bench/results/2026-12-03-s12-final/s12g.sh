#!/bin/bash
# session 12, call 5: the dense + sparse sweep again with 10 samples a point (call 4's, at 5, read 64k select 0.3
# sparse bn128 at 36.1 ms with a 0.45 ms spread, against 33.2-33.4 in four timings of the same call), peers from call 4
set -u
T0=$SECONDS
source .gpu/setup.sh && export OUT
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee $OUT/gpu.txt
timeout 300 bun run bench --sweep --ops dense,sparse --n 4096,16384,65536 --select 0.1,0.3 --iterations 10 --ceiling probe/peers-s12.json --peers probe/peers-s12.json --out $OUT/sweep.json > $OUT/sweep.log 2>&1; echo "sweep rc=$? $((SECONDS - T0)) s"
tail -45 $OUT/sweep.log | grep -E "D=128 N=(16384|65536)"
cd $OUT && tar czf sweep.tgz sweep.log $(ls sweep.csv 2>/dev/null) && rm -f sweep.log sweep.csv
