#!/bin/bash
# session 6, last call. On an H200: the select-only sweep (its table's select entries are built here from
# sweep-select.json), sparse/selection with the table's dense call, the dense and sparse GPU suites. On an
# H100 (its table rebuilt from this session's full sweep, 2026-11-28-h100-s6-sweep): sparse/selection/schedule
# with the peers in the same call, the dense and sparse GPU suites.
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee $OUT/gpu.txt
if grep -q H200 $OUT/gpu.txt; then
  timeout 230 bun run bench --sweep --ops select --n 4096,16384,65536 --iterations 5 --out $OUT/sweep-select.json > $OUT/sweep-select.log 2>&1; echo "sweep rc=$?"
  grep -E "gate|FAIL" $OUT/sweep-select.log | tail -3; rm -f $OUT/sweep-select.csv
  SPARSED_TUNING=off timeout 110 bun bench/sparse.ts --out $OUT/sparsed-sparse.json 2>&1 | tee $OUT/sparse.log | grep -E " dense |w12_s2_bf16_sm90a:|loop|selection select_hd128_bm128_bn128_w(12|20)"
  timeout 150 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts test/native.test.ts > $OUT/test.log 2>&1; grep -E "\(fail\)|pass$|fail$|skip$|^Ran" $OUT/test.log | head
else
  timeout 110 bun bench/sparse.ts --out $OUT/sparsed-sparse.json 2>&1 | tee $OUT/sparse.log | grep -E " dense |w12_s2_bf16_sm90a:|loop|selection select_hd128_bm128_bn128_w(12|20)"
  timeout 120 python3 bench/peers_sparse.py --shapes 1x32x16384x128,1x32x65536x128 --schedule --out $OUT/peers-sparse.json 2>&1 | tee $OUT/peers-sparse.log | grep -E "flex|schedule"
  timeout 150 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts test/native.test.ts > $OUT/test.log 2>&1; grep -E "\(fail\)|pass$|fail$|skip$|^Ran" $OUT/test.log | head
fi
cd $OUT && ls | grep -v -E "^(gpu.txt|sweep-select.json|sweep-select.log|sparse.log|sparsed-sparse.json|test.log|peers-sparse.json|peers-sparse.log)$" | xargs -r tar czf extra.tgz --remove-files; ls
