#!/bin/bash
# session 6, last call. On an H200: the select-only sweep (the H200 table's select entries are built from
# sweep-select.json), then selection against the dense call. On an H100: racecheck and synccheck of the
# w20 variants in the final library, and an ncu profile of w20 at 16k.
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so && export SPARSED_LIB_DIR=.gpu/lib
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | tee $OUT/gpu.txt
if grep -q H200 $OUT/gpu.txt; then
  timeout 200 bun run bench --sweep --ops select --n 4096,16384,65536 --iterations 5 --out $OUT/sweep-select.json > $OUT/sweep-select.log 2>&1; echo "sweep rc=$?"
  grep -E "gate|FAIL" $OUT/sweep-select.log | tail -3; rm -f $OUT/sweep-select.csv
  SPARSED_TUNING=off timeout 90 bun bench/sparse.ts --n 16384,65536 --select 0.3 --iterations 10 --out $OUT/sparsed-sparse.json 2>&1 | tee $OUT/sparse.log | grep -E " dense |selection select_hd128_bm128_bn128_w(12|20)"
else
  echo "not an H200: nothing more to run"
fi
