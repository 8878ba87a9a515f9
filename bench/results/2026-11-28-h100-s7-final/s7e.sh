#!/bin/bash
# session 7, call 4: the whole library (persistent warp-specialized attention, bn192 at hd128): the peers and the
# ceilings; the dense + sparse sweep with the peers joined; this GPU's table's dense and sparse entries from it
# (bun run tuning --ops); then sparse / selection / schedule with that table and FlexAttention / the PyTorch loop
# in the same call.
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
S=1x32x4096x64,1x32x16384x64,1x32x65536x64,1x32x4096x128,1x32x16384x128,1x32x65536x128
timeout 110 python3 bench/peers.py --shapes $S --ceilings --out $OUT/peers.json > $OUT/peers.log 2>&1; echo "peers rc=$?"; grep -E "^sdpa|matmul" $OUT/peers.log | tail -13
timeout 200 bun run bench --sweep --ops dense,sparse --n 4096,16384,65536 --select 0.1,0.3 --iterations 5 --ceiling $OUT/peers.json --peers $OUT/peers.json --out $OUT/sweep.json > $OUT/sweep.log 2>&1; echo "sweep rc=$?"
grep -E "FAIL|failed" $OUT/sweep.log | tail -3; grep -E "dense D=128" $OUT/sweep.log | tail -3
timeout 20 bun run tuning $OUT/sweep.json --ops dense_fwd,sparse_fwd > $OUT/tuning.log 2>&1; echo "tuning rc=$?"; tail -2 $OUT/tuning.log; mkdir -p $OUT/tuning && cp tuning/*.json $OUT/tuning/
timeout 120 bun bench/sparse.ts --out $OUT/sparsed-sparse.json > $OUT/sparse.log 2>&1; echo "sparse rc=$?"
grep -E " dense |w12_s2_bf16_sm90a:|: selection" $OUT/sparse.log
timeout 130 python3 bench/peers_sparse.py --shapes 1x32x16384x128,1x32x65536x128 --schedule --out $OUT/peers-sparse.json > $OUT/peers-sparse.log 2>&1; echo "peers rc=$?"; grep -E "flex|schedule" $OUT/peers-sparse.log | head -12
cd $OUT && tar czf all.tgz *.json *.log tuning sweep.csv && rm -rf tuning sweep.csv sweep.json peers.json sparsed-sparse.json peers-sparse.json tuning.log
