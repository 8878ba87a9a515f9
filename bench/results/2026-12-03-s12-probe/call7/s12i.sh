#!/bin/bash
# session 12, call 7: sparse bn128 / bn192 and dense at 64k, before and right after a minute of back-to-back dense load
set -u
source .gpu/setup.sh && export OUT
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib
nvidia-smi --query-gpu=name,driver_version,power.limit,temperature.gpu --format=csv,noheader | tee $OUT/gpu.txt
timeout 40 bun probe/tsp.ts 65536 0.3,0.1 10 cold 2>&1 | tee -a $OUT/tsp.log
timeout 80 bun probe/heat.ts 60 2>&1 | tee -a $OUT/tsp.log
nvidia-smi --query-gpu=temperature.gpu,clocks.sm,power.draw --format=csv,noheader | tee -a $OUT/tsp.log
timeout 40 bun probe/tsp.ts 65536 0.3,0.1 10 hot 2>&1 | tee -a $OUT/tsp.log
timeout 80 bun probe/heat.ts 45 2>&1 | tee -a $OUT/tsp.log
timeout 40 bun probe/tsp.ts 65536 0.3,0.1 10 hot2 2>&1 | tee -a $OUT/tsp.log
