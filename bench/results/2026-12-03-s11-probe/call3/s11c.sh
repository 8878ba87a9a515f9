#!/bin/bash
# session 11, call 3: q1 (qreg: o1 + Q in registers for S at BN 128) against o1 (ovl) and o2 (pp); FlexAttention in the same call.
set -u
for R in 1 2; do for L in ovl qreg pp; do SPARSED_LIB_DIR=probe/$L timeout 60 bun probe/tsp.ts 16384,65536 0.3,0.1 10 "r$R $L" 2>&1 | tee -a $OUT/tsp.log; done; done
timeout 200 python3 bench/peers_sparse.py --impls flex-sparse --shapes 1x32x65536x128 --reps 40 --out $OUT/flex.json > $OUT/flex.log 2>&1; echo "flex rc=$?"; grep -E "flex" $OUT/flex.log | tail -2
SPARSED_LIB_DIR=probe/ovl timeout 60 bun probe/tsp.ts 65536 0.3,0.1 10 "r3 ovl" 2>&1 | tee -a $OUT/tsp.log
for T in sparse dense block-lse; do SPARSED_LIB_DIR=probe/qreg SPARSED_TEST_SEED=11404 timeout 120 bun test --timeout 900000 test/$T.gpu.test.ts > $OUT/qreg-$T.log 2>&1; echo "qreg $T tests rc=$?"; grep -E "\(fail\)|^ *[0-9]+ pass$|^ *[0-9]+ fail$" $OUT/qreg-$T.log | head -4; done
tar -C $OUT -czf $OUT/logs.tgz qreg-sparse.log qreg-dense.log qreg-block-lse.log && rm -f $OUT/qreg-*.log
