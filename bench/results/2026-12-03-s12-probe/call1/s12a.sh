#!/bin/bash
# session 12 call 1: trace (T = library + marks, C1 = + next tile's count and first key prefetched) at 64k and 16k
set -o pipefail
source .gpu/setup.sh && export OUT
xz -dc .gpu/lib/libsparsed.so.xz > .gpu/lib/libsparsed.so
nvidia-smi --query-gpu=name,clocks.max.sm,power.limit,driver_version --format=csv,noheader
mkdir -p $OUT/tr
for r in 1 2 3; do
  for L in T C1; do SPARSED_LIB_DIR=probe/lib$L bun probe/trace.ts $([ $r = 1 ] && echo 65536,16384 || echo 65536) 0.1,0.3 10 ${L}r$r $OUT/tr $([ $r = 1 ] && echo 1 || echo 0) 2>&1 | tee -a $OUT/log.txt; done
  SPARSED_LIB_DIR=.gpu/lib bun probe/trace.ts 65536 0.1,0.3 10 Mr$r $OUT/tr 0 2>&1 | tee -a $OUT/log.txt
done
python3 probe/trace_an.py $OUT/tr/*.bin 2>&1 | tee $OUT/an.txt
tar -C $OUT -cJf $OUT/tr.txz tr && rm -rf $OUT/tr
grep "N=" $OUT/log.txt
