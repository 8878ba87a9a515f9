#!/bin/bash
# session 5 final code, call B: select sweep -> tuning table, then sparse/selection/schedule with the peers
set -u
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee $OUT/gpu.txt
timeout 240 bun run bench --sweep --ops select --n 4096,16384,65536 --iterations 5 --tuning-out $OUT/tuning --out $OUT/sweep-select.json > $OUT/sweep-select.log 2>&1; echo "sweep rc=$?"
grep -E "gate|fail" $OUT/sweep-select.log | tail -3
python3 probe/merge_tuning.py $OUT/tuning/*.json && cp tuning/*.json $OUT/tuning/ 2>/dev/null
timeout 150 bun bench/sparse.ts --out $OUT/sparsed-sparse.json 2>&1 | tee $OUT/sparse.log | grep -E " dense |w12_s2_bf16_sm90a:|selection|loop" | grep -v "selection select_hd128_bm128_bn128_w8_s2_bf16_sm80"
timeout 150 python3 bench/peers_sparse.py --shapes 1x32x16384x128,1x32x65536x128 --schedule --out $OUT/peers-sparse.json 2>&1 | tee $OUT/peers-sparse.log | tail -14
cd $OUT && tar czf sweep.tgz sweep-select.* tuning && rm -rf tuning sweep-select.csv
