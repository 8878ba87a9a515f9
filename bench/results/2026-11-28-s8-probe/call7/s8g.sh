#!/bin/bash
# session 8, call 7: head-major tensors ([B, H, N, D] contiguous, passed to the library as strided [B, N, H, D] views).
# The GPU tests' new head-major cases (dense, sparse, select, every variant); then sparse and selection with both
# layouts (bench/sparse.ts --layout) and FlexAttention with the same layout and block masks (peers_sparse.py --layout):
# does the sparse kernel's 64k loss (call 3: it follows the K/V footprint's spread) go with head-major memory,
# where a head's K/V is one 32 MB range instead of 1 GB of 8 KB-strided rows?
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib SPARSED_TEST_SEED=8007
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee $OUT/gpu.txt
timeout 150 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts test/select.gpu.test.ts -t "head-major" > $OUT/test.log 2>&1; echo "tests rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/test.log | head -6
for L in bhnd bnhd; do
  timeout 100 bun bench/sparse.ts --layout $L --n 16384,65536 --select 0.3,0.1 --iterations 10 --out $OUT/sparse-$L.json > $OUT/sparse-$L.log 2>&1; echo "sparse $L rc=$?"
  grep -E " dense |: selection|sparse.*(bn128_w12|bn192_w12)" $OUT/sparse-$L.log | sed -E "s/^/$L /; s/ \(density [0-9.]+\)//; s/_s2_bf16_sm90a//; s/ TFLOP\/s on kept blocks//; s/; 1024-step.*//" | cut -c1-130
done
for L in bhnd bnhd; do
  timeout 100 python3 bench/peers_sparse.py --layout $L --impls flex-sparse --shapes 1x32x16384x128,1x32x65536x128 --out $OUT/flex-$L.json > $OUT/flex-$L.log 2>&1; echo "flex $L rc=$?"; grep -E "^  flex" $OUT/flex-$L.log | sed "s/^/$L /" | head -4
done
cd $OUT && tar czf all.tgz *.json *.log && rm -f *.json
