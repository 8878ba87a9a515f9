#!/bin/bash
# session 8, call 6 (H100): sparse and selection with the refreshed H100 table (bench/sparse.ts's default picks),
# FlexAttention with the same block masks in the same call.
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
timeout 150 bun bench/sparse.ts --n 16384,65536 --select 0.3,0.1 --iterations 10 --out $OUT/sparsed-sparse.json > $OUT/sparse.log 2>&1; echo "sparse rc=$?"
grep -E " dense |: selection|sparse.*(bn128_w12|bn192_w12)" $OUT/sparse.log | sed -E 's/ \(density [0-9.]+\)//; s/_s2_bf16_sm90a//; s/ TFLOP\/s on kept blocks//' | cut -c1-140
timeout 150 python3 bench/peers_sparse.py --shapes 1x32x16384x128,1x32x65536x128 --out $OUT/peers-sparse.json > $OUT/peers-sparse.log 2>&1; echo "peers rc=$?"; grep -E "^  flex" $OUT/peers-sparse.log | head -6
