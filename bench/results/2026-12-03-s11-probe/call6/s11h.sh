#!/bin/bash
# session 11, call 6: x3 (exit: a tile's last P V with the next tile's S_0, the inner loop unchanged) against the final library.
set -u
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so
for R in 1 2; do for L in .gpu/lib probe/exit; do SPARSED_LIB_DIR=$L timeout 40 bun probe/tsp.ts 65536 0.3,0.1 10 "r$R ${L##*/}" 2>&1 | tee -a $OUT/tsp.log; done; done
SPARSED_TEST_SEED=11701 SPARSED_LIB_DIR=probe/exit timeout 60 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts > $OUT/test.log 2>&1; echo "exit dense+sparse rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/test.log | head -6
