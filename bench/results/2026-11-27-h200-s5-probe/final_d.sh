#!/bin/bash
# session 5, call D: sparse, selection and schedule with this session's tuning table, the peers in the same call
set -u
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee $OUT/gpu.txt
timeout 150 bun bench/sparse.ts --out $OUT/sparsed-sparse.json 2>&1 | tee $OUT/sparse.log | grep -E " dense |w12_s2_bf16_sm90a:|selection 1|loop|selection select_hd128_bm128_bn128_w12"
timeout 150 python3 bench/peers_sparse.py --shapes 1x32x16384x128,1x32x65536x128 --schedule --out $OUT/peers-sparse.json 2>&1 | tee $OUT/peers-sparse.log | grep -E "flex|schedule"
