#!/bin/bash
# session 12 call 3: E1 = TMA-store epilogue only (no metadata) against the library (M); T2 = trace with in-loop barrier
# waits (trace.patch); TE = trace of E (e1 + m1)
set -u
source .gpu/setup.sh && export OUT
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so
nvidia-smi --query-gpu=name,driver_version,power.limit --format=csv,noheader | tee $OUT/gpu.txt
mkdir -p $OUT/tr
SPARSED_LIB_DIR=probe/libT2 timeout 60 bun probe/trace.ts 65536 0.1,0.3 10 T2 $OUT/tr 1 2>&1 | tee -a $OUT/tsp.log
SPARSED_LIB_DIR=probe/libTE timeout 60 bun probe/trace.ts 65536 0.1,0.3 10 TE $OUT/tr 1 2>&1 | tee -a $OUT/tsp.log
for r in 1 2 3; do for L in M E1; do D=.gpu/lib; [ $L = E1 ] && D=probe/libE1; SPARSED_LIB_DIR=$D timeout 60 bun probe/tsp.ts 65536 0.3,0.1 10 "$L-$r" 2>&1 | tee -a $OUT/tsp.log; done; done
python3 probe/trace_an.py $OUT/tr/*.bin > $OUT/an.txt 2>&1
tar -C $OUT -cJf $OUT/tr.txz tr && rm -rf $OUT/tr
SPARSED_LIB_DIR=probe/libE1 timeout 100 bun test --timeout 900000 test/dense.gpu.test.ts test/sparse.gpu.test.ts > $OUT/test.log 2>&1; echo "E1 suites rc=$?"; grep -E "^ *[0-9]+ (pass|fail)$" $OUT/test.log
cat $OUT/an.txt; cat $OUT/tsp.log
