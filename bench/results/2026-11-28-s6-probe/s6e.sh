#!/bin/bash
# session 6, final call: the select-only sweep -> this GPU's table's select entries; select GPU tests over the
# whole library; then sparse / selection / schedule with the new table and the peers in the same call.
# SKIP_BENCH=1: tests of every GPU suite instead of the bench and peers.
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee $OUT/gpu.txt
timeout 230 bun run bench --sweep --ops select --n 4096,16384,65536 --iterations 5 --tuning-out $OUT/tuning --out $OUT/sweep-select.json > $OUT/sweep-select.log 2>&1; echo "sweep rc=$?"
grep -E "gate|FAIL" $OUT/sweep-select.log | tail -3
python3 probe/merge_tuning.py $OUT/tuning/*.json && mkdir -p $OUT/merged && cp tuning/*.json $OUT/merged/
if [ -z "${SKIP_BENCH:-}" ]; then
  timeout 100 bun test --timeout 900000 test/select.gpu.test.ts > $OUT/select.log 2>&1; grep -E "\(fail\)|pass$|fail$" $OUT/select.log | head
  timeout 110 bun bench/sparse.ts --out $OUT/sparsed-sparse.json 2>&1 | tee $OUT/sparse.log | grep -E " dense |w12_s2_bf16_sm90a:|selection 1|loop|selection select_hd128_bm128_bn128_w(12|20)"
  timeout 120 python3 bench/peers_sparse.py --shapes 1x32x16384x128,1x32x65536x128 --schedule --out $OUT/peers-sparse.json 2>&1 | tee $OUT/peers-sparse.log | grep -E "flex|schedule"
else
  timeout 250 bun test --timeout 900000 test/*.gpu.test.ts test/native.test.ts > $OUT/test.log 2>&1; grep -E "\(fail\)|pass$|fail$|skip$|^Ran" $OUT/test.log | head
fi
cd $OUT && tar czf sweep.tgz sweep-select.* tuning && rm -rf tuning sweep-select.csv
