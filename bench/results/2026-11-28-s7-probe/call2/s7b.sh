#!/bin/bash
# session 7, call 2: the whole library (persistent warp-specialized attention): the peers and ceilings, then
# the dense + sparse configuration sweep with the peers joined (its tuning table -> this GPU's dense and
# sparse entries, written here by bun run tuning), then sparse / selection / schedule with that table and
# FlexAttention in the same call.
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
S=1x32x4096x64,1x32x16384x64,1x32x65536x64,1x32x4096x128,1x32x16384x128,1x32x65536x128
timeout 110 python3 bench/peers.py --shapes $S --ceilings --out $OUT/peers.json > $OUT/peers.log 2>&1; echo "peers rc=$?"; grep -E "cudnn|flash|matmul" $OUT/peers.log | tail -14
timeout ${SWEEP_S:-330} bun run bench --sweep --ops dense,sparse --n 4096,16384,65536 --select 0.1,0.3 --iterations 5 --ceiling $OUT/peers.json --peers $OUT/peers.json --tuning-out $OUT/tuning --out $OUT/sweep.json > $OUT/sweep.log 2>&1; echo "sweep rc=$?"
grep -E "FAIL|gate" $OUT/sweep.log | tail -3; grep -E "dense D=128" $OUT/sweep.log | tail -6
cd $OUT && tar czf sweep.tgz sweep.* tuning peers.* && rm -rf tuning sweep.csv
